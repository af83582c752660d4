"""The `aios` command line."""
