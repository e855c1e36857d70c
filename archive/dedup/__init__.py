"""Near-duplicate detection: which archived articles are the same story.

A repost (北极星 with its own lead line and footer), a syndicated 中新网 story,
a policy on the issuing department's site, the city portal and the trade press
are different texts of one story. Exact hashes (the dedup stage) miss them;
this module groups them.

How it works (details and tuning notes in ``docs/dedup.md``):

* **Text → shingles.** Lines that are site furniture (北极星's footer, 编辑/来源
  lines, page navigation…) are dropped, the rest is NFKC-normalised and reduced
  to letters, digits and CJK characters; the shingles are the overlapping
  ``SHINGLE``-character strings, each hashed to 32 bits.
* **Signature and LSH index, in the archive.** A MinHash signature
  of ``BANDS × ROWS`` values is stored per article in ``neardup_signatures``;
  each band of ``ROWS`` values is hashed to one 64-bit key in ``neardup_bands``
  (primary key ``(band_key, article_id)``). Adding an article is one indexed
  ``IN`` lookup over its ``BANDS`` keys plus ``BANDS`` inserts, whatever the
  archive's size; a restart needs nothing rebuilt. The text's shingles, signature and
  keys are computed where the text is extracted (:func:`prepare`, in the extraction
  workers) and handed to :func:`add_article` with the item.
* **Verification on candidates.** LSH is tuned loose (a truncated repost has
  Jaccard well under 0.6 against the full text); a candidate is the same story
  when the *containment* of the shorter text's shingles in the longer one's is
  at least ``MIN_CONTAINMENT``, they share at least ``MIN_SHARED`` shingles, and
  their identity tokens (第N批, YYYY年度, 文号, the sign-off date) do not
  contradict each other — the guard that keeps a department's successive
  notices, which share nearly all their wording, apart.
* **Groups and the canonical article.** Matches join groups (connected
  components). Each group has one canonical article: a government site's copy
  when another member's 来源 names that government (the original source),
  otherwise the earliest published. Every other member gets
  ``articles.duplicate_of`` = the canonical id and ``articles.duplicate_score``
  = its containment against the canonical text. Nothing is deleted.

The package, one concern a module: :mod:`.text` (the story's lines, normalised text,
identity tokens), :mod:`.minhash` (shingles, signatures, band keys and the index
parameters), :mod:`.compare` (verification of a candidate pair), :mod:`.canonical`
(which copy is the original) and :mod:`.index` (the LSH index in the archive and
the groups). Its evaluation on a labelled set is tooling:
:mod:`archive.tooling.neardup_eval`.
"""
from .canonical import choose_canonical
from .compare import Doc, Prepared, containment, estimated_containment, prepare, same_story, shared
from .index import (
    AddResult, NeedsRebuild, add_article, check_params, index_missing, missing_ids, rebuild, reindex_article,
    summary,
)
from .minhash import NUM_PERM, PARAMS, band_keys, shingle_hashes, signature
from .text import clean_lines, contradicts, identity, normalise

__all__ = [
    "AddResult", "Doc", "NUM_PERM", "NeedsRebuild", "PARAMS", "Prepared", "add_article", "band_keys", "check_params",
    "choose_canonical", "clean_lines", "containment", "contradicts", "estimated_containment", "identity",
    "index_missing", "missing_ids", "normalise", "prepare", "rebuild", "reindex_article", "same_story", "shared",
    "shingle_hashes", "signature", "summary",
]
