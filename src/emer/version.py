"""The version of emer (pyproject.toml repeats it): a leaf module, so that any layer may read it."""

__version__ = "0.1.0"
