"""``python -m neardup``: the same as the ``neardup`` command."""

from neardup.cli_output import run

run()
