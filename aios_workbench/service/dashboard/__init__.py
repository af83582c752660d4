"""The dashboard's read model: every view a dashboard page shows (`views.DashboardData`), computed as
the caller through the governed service; local dashboards call it in-process, team-mode dashboards
over REST (`GET dashboard/VIEW`)."""
