"""The package version, taken from the installed distribution (set from extension/package.json)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aios-workbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
