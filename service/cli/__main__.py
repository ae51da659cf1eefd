"""`python -m service.cli`: the `dosewise` command."""

from . import main

main()
