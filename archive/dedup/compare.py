"""Is a candidate pair the same story? Containment of shingle sets, guarded by identity tokens."""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .minhash import PARAMS, band_keys, shingle_hashes, signature
from .text import clean_lines, contradicts, identity_lines, normalise_lines

# Verification (not stored; changing these needs `archive dedup --rebuild` to regroup).
MIN_CONTAINMENT = 0.7  # |A∩B| / min(|A|, |B|) over shingle sets
MIN_SHARED = 40  # shingles in common, whatever the containment
ESTIMATE_SLACK = 0.3  # skip a candidate whose signature-estimated containment is this far below

# The comparable forms of the articles compared last are kept (archive.dedup.index) up to this many
# bytes of shingles: memory stays bounded whatever the archive's size and its texts' lengths.
DOC_CACHE_BYTES = 32 << 20


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


def _parts(text: str) -> tuple[np.ndarray, tuple[frozenset, str | None]]:
    """Shingles (sorted, unique) and identity tokens of *text*."""
    lines = clean_lines(text)
    shingles = shingle_hashes(normalise_lines(lines))
    shingles.flags.writeable = False  # shared between the Docs of one text
    return shingles, identity_lines(lines)


class _FormCache:
    """Least recently used ``key → (shingles, identity)``, bounded in bytes."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def cost(parts: tuple) -> int:
        return parts[0].nbytes + 200

    def get(self, key):
        with self._lock:
            parts = self._items.get(key)
            if parts is not None:
                self._items.move_to_end(key)
            return parts

    def put(self, key, parts: tuple) -> None:
        cost = self.cost(parts)
        if cost > self.budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= self.cost(old)
            self._items[key] = parts
            self.used += cost
            while self.used > self.budget:
                _, p = self._items.popitem(last=False)
                self.used -= self.cost(p)

    def __len__(self) -> int:
        return len(self._items)


def shared(a: np.ndarray, b: np.ndarray) -> int:
    """Shingles in common between two sorted, duplicate-free hash arrays: merged (a stable sort of two
    sorted runs is one linear merge), a common value is the same value twice in a row."""
    if not len(a) or not len(b):
        return 0
    merged = np.concatenate((a, b))
    merged.sort(kind="stable")
    return int(np.count_nonzero(merged[1:] == merged[:-1]))


def shared_counts(a: np.ndarray, others: list[np.ndarray]) -> list[int]:
    """``[shared(a, o) for o in others]``."""
    return [shared(a, o) for o in others]


def containment(a: Doc, b: Doc) -> float:
    small = min(a.size, b.size)
    return shared(a.shingles, b.shingles) / small if small else 0.0


def decide(a: Doc, b: Doc, common: int) -> float | None:
    """The containment score when *a* and *b*, with *common* shingles in common, are the same story, else None."""
    small = min(a.size, b.size)
    if not small:
        return None
    score = common / small
    if score < MIN_CONTAINMENT or common < min(MIN_SHARED, small):
        return None
    if contradicts(a.ident, b.ident):
        return None
    return score


def same_story(a: Doc, b: Doc) -> float | None:
    """The containment score when *a* and *b* are the same story, else None."""
    if not min(a.size, b.size):
        return None
    return decide(a, b, shared(a.shingles, b.shingles))


def estimated_containment(sig_a: np.ndarray, size_a: int, sig_b: np.ndarray, size_b: int) -> float:
    """Containment estimated from two signatures and the set sizes (no text needed)."""
    j = float(np.mean(sig_a == sig_b))
    inter = j * (size_a + size_b) / (1 + j)
    return inter / max(1, min(size_a, size_b))


def estimated_containments(sig: np.ndarray, size: int, sigs: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """:func:`estimated_containment` of one signature against each row of *sigs* (sizes *sizes*), at once;
    the same floating-point operations in the same order, so the same values."""
    j = np.count_nonzero(sigs == sig, axis=1) / sigs.shape[1]
    sizes = np.asarray(sizes, dtype=np.int64)
    inter = j * (size + sizes) / (1 + j)
    return inter / np.maximum(1, np.minimum(size, sizes))


# ------------------------------------------------------------------ computed where extraction runs

_FORM = json.dumps(PARAMS, sort_keys=True)  # what the form depends on


@dataclass(frozen=True)
class Prepared:
    """An article text's near-duplicate form (shingles, identity tokens, MinHash signature, band keys),
    computed by :func:`prepare` where the text is extracted (a worker process, or another machine) and
    handed to :func:`archive.dedup.add_article`, which uses it only for the very text it was computed
    from (``digest``) and with the same index parameters (``form``). Plain bytes: small to pickle."""

    digest: bytes
    form: str
    shingles: bytes  # sorted unique uint32, little-endian
    ident: tuple[frozenset, str | None]
    signature: bytes  # NUM_PERM uint32, little-endian: the stored neardup_signatures.minhash
    keys: tuple[int, ...]

    def fits(self, text: str) -> bool:
        return self.form == _FORM and self.digest == text_digest(text)

    def doc(self) -> Doc:
        shingles = np.frombuffer(self.shingles, dtype="<u4").astype(np.uint32, copy=False)
        shingles.flags.writeable = False
        return Doc(shingles, self.ident)

    def sig(self) -> np.ndarray:
        return np.frombuffer(self.signature, dtype="<u4").astype(np.uint32, copy=False)


def text_digest(text: str) -> bytes:
    return hashlib.blake2b((text or "").encode("utf-8"), digest_size=16).digest()


def prepare(text: str) -> Prepared:
    """The near-duplicate form of *text*, as :func:`archive.dedup.add_article` would compute it
    (computed afresh: a worker keeps no cache)."""
    shingles, ident = _parts(text)
    sig = signature(shingles)
    return Prepared(text_digest(text), _FORM, shingles.astype("<u4").tobytes(), ident,
                    sig.astype("<u4").tobytes(), tuple(band_keys(sig)))
