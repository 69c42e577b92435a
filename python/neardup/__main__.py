"""``python -m neardup`` and the ``neardup`` console script.

Only what Python has already loaded is imported here, so that running out of memory while the rest of
the command line is imported (a module, or the directory listing the import system reads) is still the one
line and exit 2 of every other failure, not a traceback.
"""

import errno
import os


def _out_of_memory() -> None:
    os.write(2, b"neardup: out of memory while starting\n")
    os._exit(2)


def main() -> None:
    try:
        from neardup.cli_output import run
    except MemoryError:
        _out_of_memory()
    except OSError as exc:
        if exc.errno != errno.ENOMEM:
            raise
        _out_of_memory()
    run()


if __name__ == "__main__":
    main()
