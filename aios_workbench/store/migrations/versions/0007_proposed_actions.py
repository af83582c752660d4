"""Proposed actions waiting for approval (`wb.propose`, `aios actions`).

Revision ID: 0007_proposed_actions
Revises: 0006_column_tags
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_proposed_actions"
down_revision = "0006_column_tags"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "proposed_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(128), nullable=False),
        sa.Column("proposed_via", sa.String(64), nullable=False),
        sa.Column("proposed_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_reason", sa.Text, nullable=True),
        sa.Column("approved_payload", sa.JSON, nullable=True),
        sa.Column("executed_at", TZ, nullable=True),
        sa.Column("outcome", sa.JSON, nullable=True),
    )
    op.create_index("ix_proposed_actions_kind", "proposed_actions", ["kind"])
    op.create_index("ix_proposed_actions_state", "proposed_actions", ["state"])
    op.create_index("ix_proposed_actions_proposed_by", "proposed_actions", ["proposed_by"])


def downgrade() -> None:
    op.drop_table("proposed_actions")
