"""``python -m neardup``: the same as the ``neardup`` command."""

from neardup.cli_start import main

raise SystemExit(main())
