"""`data.root=~/datasets` on the command line: the shell expands `~` only at the start of a word, and Hydra's
override lexer rejects an unquoted `~` in a value. vmk replaces a `~` that begins a value or a list item,
quoted or not, with the home dir before Hydra reads the command line, so every path option takes it
(`hydra.run.dir` too, which no vmk code reads). Paths inside config files go through `Path.expanduser`
where they are opened."""

from __future__ import annotations

import os
import re

# `~` right after `=`, `[` or `,` (optionally after an opening quote), alone or before `/`, a quote, `,` or `]`.
# `~key` (Hydra's delete) starts the argument and is left alone.
_HOME = re.compile(r"(?<=[=\[,])(['\"]?)~(?=[/'\",\]]|$)")


def expand_home(args: list[str]) -> list[str]:
    home = os.path.expanduser("~")
    return [_HOME.sub(lambda match: match.group(1) + home, arg) if "=" in arg else arg for arg in args]
