"""The scheduler: the headless process that runs promoted jobs on time (`loop.Scheduler`), one worker
process per run (`worker.py`) on a pluggable executor (`executors/`: local processes, Dask). It opens
the workbench service for each run; the execution engine itself is `jobs/execute.py`."""
