"""Benchmarks: each candidate measured side by side with its baseline. Run `python -m bench --help`."""
