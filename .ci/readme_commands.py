"""Prints the README's set-up commands, one a line: the shell blocks of its "Two commands" section.

`.ci/run` runs exactly these lines, so a change to the README's commands that breaks them fails CI.
Exits 2 unless the section holds exactly two one-line commands.
"""

import re
import sys
from pathlib import Path

readme = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8")
section = re.search(r"^## Two commands\n(.*?)(?=^## )", readme, re.S | re.M)
blocks = re.findall(r"^```sh\n(.*?)^```", section.group(1) if section else "", re.S | re.M)
commands = [b.strip() for b in blocks]
if len(commands) != 2 or any("\n" in c or not c for c in commands):
    sys.exit(f"README.md: expected two one-line ```sh blocks under '## Two commands', got {commands!r}")
print("\n".join(commands))
