"""Shingles, MinHash signatures and LSH band keys, and the parameters the stored index depends on."""
from __future__ import annotations

import hashlib

import numpy as np

from .text import NORMALISE_VERSION

# Changing any of these changes the stored index: run `archive dedup --rebuild`.
SHINGLE = 5  # characters per shingle
BANDS = 42  # LSH bands …
ROWS = 3  # … of this many MinHash values: P(candidate | Jaccard 0.4) ≈ 0.94, 0.5 → 0.996
NUM_PERM = BANDS * ROWS
SEED = 20240601

PARAMS = {"shingle": SHINGLE, "bands": BANDS, "rows": ROWS, "seed": SEED,
          # the signature scheme's stored name: archives indexed with datasketch's
          # "affine32" hold the same values (see signature()), so the name stays
          "normalise": NORMALISE_VERSION, "minhash": "datasketch-affine32"}


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def shingle_hashes(norm: str, k: int = SHINGLE) -> np.ndarray:
    """Sorted unique 32-bit hashes of the *k*-character shingles of a normalised text."""
    if not norm:
        return np.empty(0, dtype=np.uint32)
    cp = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cp) - k + 1
    if n <= 0:  # shorter than one shingle: the whole text is the one shingle
        cp, n, k = np.pad(cp, (0, k - len(cp))), 1, k
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * np.uint64(1000003) + cp[j:j + n]
        h = _fmix64(h)
    h = np.sort((h >> np.uint64(32)).astype(np.uint32))  # sorted, then duplicates out: what np.unique
    return h[np.concatenate(([True], h[1:] != h[:-1]))]  # gives, without its (slower) hash table


# MinHash with affine permutations over 32-bit words: each shingle hash is pre-mixed once with
# the MurmurHash3 32-bit finalizer, then permutation k maps h to a_k*h + b_k mod 2^32 (a_k odd, a
# bijection). The parameters are drawn as datasketch 2.x draws them for scheme "affine32", so the
# signatures are the ones an archive indexed with that library holds (PARAMS["minhash"]).
def _permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_PERM_A, _PERM_B = _permutations()
_CHUNK = 8192  # shingles per block: 8192 × NUM_PERM × 4 bytes ≈ 4 MB


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(shingles: np.ndarray) -> np.ndarray:
    """MinHash signature (uint32 × NUM_PERM) of a shingle-hash set (all ones for an empty set)."""
    if not len(shingles):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    h = _fmix32(np.asarray(shingles, dtype=np.uint32)).reshape(-1, 1)
    sig = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    buf = np.empty((min(len(h), _CHUNK), NUM_PERM), dtype=np.uint32)
    for start in range(0, len(h), _CHUNK):  # bounded memory for a very long text
        part = h[start:start + _CHUNK]
        block = buf[:len(part)]
        np.multiply(part, _PERM_A, out=block)
        np.add(block, _PERM_B, out=block)
        np.minimum(sig, block.min(axis=0), out=sig)
    return sig


_BAND_PREFIX = [b.to_bytes(2, "little") for b in range(BANDS)]
_BAND_BYTES = ROWS * 4


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (band number included, so bands never collide)."""
    raw = sig.astype("<u4").tobytes()
    blake2b, step = hashlib.blake2b, _BAND_BYTES
    return [int.from_bytes(blake2b(prefix + raw[i:i + step], digest_size=8).digest(), "little", signed=True)
            for prefix, i in zip(_BAND_PREFIX, range(0, BANDS * step, step))]
