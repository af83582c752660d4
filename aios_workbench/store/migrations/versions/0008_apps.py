"""Jobs published as decision apps (`aios apps publish`).

Revision ID: 0008_apps
Revises: 0007_proposed_actions
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_apps"
down_revision = "0007_proposed_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("published_by", sa.String(128), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("apps")
