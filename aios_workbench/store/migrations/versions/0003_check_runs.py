"""The governance ledger: check runs and the datasets each one read.

Revision ID: 0003_check_runs
Revises: 0002_jobs_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_check_runs"
down_revision = "0002_jobs_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("user", sa.String(128), nullable=False, index=True),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration", sa.Float, nullable=False),
        sa.Column("notebook", sa.String(1024), nullable=True),
        sa.Column("job_run_id", sa.Integer, nullable=True, index=True),
        sa.Column("mlflow_run_id", sa.String(64), nullable=True, index=True),
    )
    op.create_index("ix_check_runs_name_id", "check_runs", ["name", "id"])
    op.create_index("ix_check_runs_kind_id", "check_runs", ["kind", "id"])
    op.create_table(
        "check_run_datasets",
        sa.Column("check_run_id", sa.Integer, sa.ForeignKey("check_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("dataset", sa.String(512), primary_key=True),
    )
    op.create_index("ix_check_run_datasets_dataset_run", "check_run_datasets", ["dataset", "check_run_id"])


def downgrade() -> None:
    op.drop_table("check_run_datasets")
    op.drop_table("check_runs")
