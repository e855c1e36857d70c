"""Is a candidate pair the same story? Containment of shingle sets, guarded by identity tokens."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .minhash import shingle_hashes
from .text import contradicts, identity, normalise

# Verification (not stored; changing these needs `archive dedup --rebuild` to regroup).
MIN_CONTAINMENT = 0.7  # |A∩B| / min(|A|, |B|) over shingle sets
MIN_SHARED = 40  # shingles in common, whatever the containment
ESTIMATE_SLACK = 0.3  # skip a candidate whose signature-estimated containment is this far below


@dataclass
class Doc:
    """The comparable form of one article."""

    shingles: np.ndarray
    ident: tuple[frozenset, str | None]

    @classmethod
    def of(cls, text: str) -> "Doc":
        return cls(*_parts(text))

    @property
    def size(self) -> int:
        return len(self.shingles)


@lru_cache(maxsize=1024)
def _parts(text: str) -> tuple[np.ndarray, tuple[frozenset, str | None]]:
    """Shingles and identity tokens of *text*, kept for the texts seen last: a stored article is a
    candidate of many that come after it, and its shingles are computed once, not once per candidate."""
    shingles = shingle_hashes(normalise(text))
    shingles.flags.writeable = False  # shared between the Docs of one text
    return shingles, identity(text)


def shared(a: np.ndarray, b: np.ndarray) -> int:
    return len(np.intersect1d(a, b, assume_unique=True))


def containment(a: Doc, b: Doc) -> float:
    small = min(a.size, b.size)
    return shared(a.shingles, b.shingles) / small if small else 0.0


def same_story(a: Doc, b: Doc) -> float | None:
    """The containment score when *a* and *b* are the same story, else None."""
    small = min(a.size, b.size)
    if not small:
        return None
    common = shared(a.shingles, b.shingles)
    score = common / small
    if score < MIN_CONTAINMENT or common < min(MIN_SHARED, small):
        return None
    if contradicts(a.ident, b.ident):
        return None
    return score


def estimated_containment(sig_a: np.ndarray, size_a: int, sig_b: np.ndarray, size_b: int) -> float:
    """Containment estimated from two signatures and the set sizes (no text needed)."""
    j = float(np.mean(sig_a == sig_b))
    inter = j * (size_a + size_b) / (1 + j)
    return inter / max(1, min(size_a, size_b))
