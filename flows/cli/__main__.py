"""`python -m flows.cli.main`: the command."""

from flows.cli.main import run

run()
