"""Promoted notebooks as scheduled Papermill jobs: specs, schedules, promotion gates, the scheduler."""
