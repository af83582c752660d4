"""Column descriptions: the source's own comment on each column (`COMMENT ON COLUMN`), stored by the scan.

A steward's description in governance/policy.yaml wins over it when the catalog loads.

Revision ID: 0009_column_descriptions
Revises: 0008_apps
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_column_descriptions"
down_revision = "0008_apps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_columns") as batch:
        batch.add_column(sa.Column("description", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("dataset_columns") as batch:
        batch.drop_column("description")
