"""Stage 3, dedup: is this article already in the archive?

The same canonical URL is the same article: the item is marked with the
archived id and whether its text or title changed (a refresh). The same text
(whitespace ignored) under another URL is a duplicate: the store stage records
the extra URL instead of a second article.

One text served for many URLs of a site within one run
(``SOFT_ERROR_SHARED_URLS``, 4) is an error page, not an article: the item is
rejected as ``soft_error`` and the URLs of this run that were stored under that
text are handed to the store stage to retract (``retract_urls``).
"""
from __future__ import annotations

from collections import defaultdict

from archive.settings import value as setting
from crawler.archive import crawl_archive
from crawler.items import ArticleItem, Rejected


class DedupPipeline:
    def __init__(self, archive, shared_limit: int = 4):
        self.archive = archive
        self.shared_limit = shared_limit
        self.run_texts: dict[str, list[str]] = defaultdict(list)  # text hash → URLs of this run
        self._added: list[str] | None = None  # text hashes of the URLs added since checkpoint()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawl_archive(crawler), setting(crawler.settings, "SOFT_ERROR_SHARED_URLS"))

    def checkpoint(self) -> None:
        """What this stage learns from here on can be forgotten (:meth:`undo`): a writer that stores many
        items in one transaction undoes it when the transaction rolls back."""
        self._added = []

    def undo(self) -> None:
        """Forget the URLs seen since :meth:`checkpoint` (their writes were rolled back)."""
        for text_hash in reversed(self._added or ()):
            urls = self.run_texts[text_hash]
            urls.pop()
            if not urls:
                del self.run_texts[text_hash]
        self._added = None

    def forget_checkpoint(self) -> None:
        """The writes since :meth:`checkpoint` committed: nothing to undo any more."""
        self._added = None

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.not_modified:
            return item
        urls = self.run_texts[item.text_hash]
        if item.url not in urls:
            urls.append(item.url)
            if self._added is not None:
                self._added.append(item.text_hash)
        if self.shared_limit and len(urls) >= self.shared_limit:
            item.retract_urls = [u for u in urls if u != item.url]
            raise Rejected("soft_error", "one page text served for many URLs of the site (an error page)")
        same_url = self.archive.article_for_url(item.url)
        if same_url:
            item.existing_id = same_url["id"]
            item.changed = (same_url["text_hash"], same_url["title"]) != (item.text_hash, item.title)
            return item
        match = self.archive.article_with_text(item.text_hash)
        if match:
            item.duplicate_of, item.duplicate_reason = match, "same_text"
        return item
