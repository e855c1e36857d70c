"""Where the tooling's data lives: the replica and the labelled near-duplicate set.

They are part of a source checkout of the project (``replica/``, ``tests/neardup_eval/``), not of
the installed package: a plain ``pip install .`` gets the library and its commands, and the
commands that need this data say so in one line instead of running on nothing.
"""
from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
REPLICA_DIR = CHECKOUT / "replica"
REPLICA_SITE = REPLICA_DIR / "site"
REPLICA_EXPECTED = REPLICA_DIR / "expected"
NEARDUP_EVAL = CHECKOUT / "tests" / "neardup_eval"


class NotInCheckout(FileNotFoundError):
    """The data is only in a source checkout of the project."""


def require(path: Path, what: str, instead: str) -> Path:
    """``path`` if it exists, else :class:`NotInCheckout` naming ``what`` and what to pass ``instead``."""
    if not path.is_dir():
        raise NotInCheckout(f"{what} comes with a source checkout of the project, not with the installed "
                            f"package (looked for {path}); {instead}")
    return path
