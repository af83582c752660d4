"""`python -m aios_workbench ...` is the `aios` command (for child processes and machines without the script on PATH)."""

from aios_workbench.surfaces.cli.main import main

main()
