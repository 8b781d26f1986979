"""Single source of the package version (read by setuptools' dynamic version and at run time)."""

__version__ = "0.1.0"
