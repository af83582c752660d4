"""Catalog (datasets, columns) and the audit index.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(128), nullable=False, index=True),
        sa.Column("schema_name", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "schema_name", "name"),
    )
    op.create_table(
        "dataset_columns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("data_type", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("classifications", sa.JSON, nullable=False),
        sa.UniqueConstraint("dataset_id", "name"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("user", sa.String(128), nullable=False, index=True),
        sa.Column("surface", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("dataset_columns")
    op.drop_table("datasets")
