"""Jobs as the scheduler runs them: versions (promotions), runs with occurrences and leases, alert states.

`jobs` and `job_runs` of 0002 were placeholders no released code ever wrote, so they are replaced;
`alerts` keeps its rows and gains a state.

Revision ID: 0004_jobs_scheduler
Revises: 0003_check_runs
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_jobs_scheduler"
down_revision = "0003_check_runs"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("jobs")
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("notebook", sa.String(1024), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("identity", sa.String(128), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("next_due_at", TZ, nullable=True, index=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "job_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_name", sa.String(128), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("notebook", sa.String(1024), nullable=False),
        sa.Column("snapshot_path", sa.String(1024), nullable=False),
        sa.Column("parameter_schema", sa.JSON, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("gates", sa.JSON, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("datasets_read", sa.JSON, nullable=False),
        sa.Column("promoted_by", sa.String(128), nullable=False),
        sa.Column("promoted_at", TZ, nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", TZ, nullable=True),
        sa.UniqueConstraint("job_name", "version"),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("occurrence", TZ, nullable=True),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("retry_of", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("executor", sa.String(32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("not_before", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("cells_done", sa.Integer, nullable=False),
        sa.Column("cells_total", sa.Integer, nullable=False),
        sa.Column("output_path", sa.String(1024), nullable=True),
        sa.Column("html_path", sa.String(1024), nullable=True),
        sa.Column("log_path", sa.String(1024), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("failing_cell", sa.JSON, nullable=True),
        sa.Column("mlflow_run_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("job_id", "occurrence", "attempt"),
    )
    op.create_index("ix_job_runs_job_id_id", "job_runs", ["job_id", "id"])
    op.create_index("ix_job_runs_status_not_before", "job_runs", ["status", "not_before"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("key", sa.String(256), nullable=False, server_default=""))
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="open"))
        batch.add_column(sa.Column("count", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_at", TZ, nullable=True))
        batch.add_column(sa.Column("resolved_at", TZ, nullable=True))
        batch.create_index("ix_alerts_key", ["key"])
        batch.create_index("ix_alerts_state", ["state"])
    op.execute("UPDATE alerts SET last_at = at, state = CASE WHEN acknowledged_at IS NULL THEN 'open' "
               "ELSE 'acknowledged' END")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("last_at", existing_type=TZ, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_state")
        batch.drop_index("ix_alerts_key")
        for column in ("resolved_at", "last_at", "count", "state", "key"):
            batch.drop_column(column)
    op.drop_table("job_runs")
    op.drop_table("job_versions")
    op.drop_table("jobs")
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("notebook_digest", sa.String(64), nullable=False),
        sa.Column("schedule", sa.String(128), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("scheduled_for", TZ, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("output_path", sa.String(1024), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
