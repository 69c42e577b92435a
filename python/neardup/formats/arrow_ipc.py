"""The ``arrow`` format's reader module (see `neardup.formats.arrow_files`)."""

from neardup.formats.arrow_files import read_arrow as read

__all__ = ["read"]
