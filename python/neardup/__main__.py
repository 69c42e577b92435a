"""``python -m neardup``: the same as the ``neardup`` command."""

from neardup.cli_start import run

run()
