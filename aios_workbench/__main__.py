"""`python -m aios_workbench ...` is the `aios` command (for child processes and machines without the script on PATH)."""

from .cli.main import main

main()
