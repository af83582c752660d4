"""Classifications a column has earned (tags only grow; a steward removes one, recorded) and the owners of
written datasets (who may replace or append to them).

Owners of datasets written before this revision are taken from the audit index: the user of the first
allowed `dataset.write` of each dataset.

Revision ID: 0006_column_tags
Revises: 0005_audit_checkpoints
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_column_tags"
down_revision = "0005_audit_checkpoints"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "column_tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("schema_name", sa.String(128), nullable=False),
        sa.Column("dataset", sa.String(256), nullable=False),
        sa.Column("column", sa.String(256), nullable=False),
        sa.Column("tag", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("earned_by", sa.String(128), nullable=False),
        sa.Column("earned_at", TZ, nullable=False),
        sa.Column("removed_by", sa.String(128), nullable=True),
        sa.Column("removed_at", TZ, nullable=True),
        sa.Column("removed_reason", sa.Text, nullable=True),
        sa.UniqueConstraint("source", "schema_name", "dataset", "column", "tag"),
    )
    op.create_index("ix_column_tags_dataset", "column_tags", ["source", "schema_name", "dataset"])
    owners = op.create_table(
        "dataset_owners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("schema_name", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("source", "schema_name", "name"),
    )
    audit = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("at", TZ), sa.column("user", sa.String),
                     sa.column("action", sa.String), sa.column("target", sa.String),
                     sa.column("allowed", sa.Boolean))
    first: dict[tuple[str, str, str], dict] = {}
    rows = op.get_bind().execute(sa.select(audit.c.user, audit.c.target, audit.c.at)
                                 .where(audit.c.action == "dataset.write", audit.c.allowed == sa.true())
                                 .order_by(audit.c.id))
    for user, target, at in rows:
        parts = str(target or "").split(".")
        if len(parts) == 3 and all(parts):
            first.setdefault((parts[0], parts[1], parts[2]), {
                "source": parts[0], "schema_name": parts[1], "name": parts[2], "owner": user, "created_at": at})
    if first:
        op.bulk_insert(owners, list(first.values()))


def downgrade() -> None:
    op.drop_table("dataset_owners")
    op.drop_index("ix_column_tags_dataset", table_name="column_tags")
    op.drop_table("column_tags")
