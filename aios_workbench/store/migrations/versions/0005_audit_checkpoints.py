"""Signed checkpoints of the audit chain: its head, anchored outside the state folder.

Each row is a checkpoint {workspace, last id, last hash, count, at} signed with a key kept beside the
witness file (never in the store); the same checkpoint is appended to that file.

Revision ID: 0005_audit_checkpoints
Revises: 0004_jobs_scheduler
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_checkpoints"
down_revision = "0004_jobs_scheduler"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("last_id", sa.Integer, nullable=False, index=True),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
