"""The `dosewise` command line: check data, recommend, check intake, refresh, learn, experiment.

One module per command group; `base` holds what they share. Importing this package registers
every command on `main` (the `dosewise` entry point of pyproject.toml).
"""

from . import answers, catalog, events, experiments, model, placements, refills, refresh, rules  # noqa: F401,E501
from .base import main

__all__ = ["main"]
