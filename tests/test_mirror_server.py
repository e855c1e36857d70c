"""The mirror contract: https://HOST/PATH?QUERY is served from ROOT/HOST/PATH."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from crawler.mirror import from_mirror, to_mirror
from archive.tooling.mirror_server import serve_in_thread


@pytest.fixture()
def tree(tmp_path):
    (tmp_path / "a.cn" / "list").mkdir(parents=True)
    (tmp_path / "a.cn" / "list" / "index.html").write_text("<p>list</p>", "utf-8")
    (tmp_path / "a.cn" / "content").mkdir()
    (tmp_path / "a.cn" / "content" / "6a67f58a06f05").write_text("<p>article</p>", "utf-8")
    (tmp_path / "a.cn" / "empty").mkdir()
    server, url = serve_in_thread(tmp_path)
    yield url
    server.shutdown()


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, b""


def test_url_mapping_round_trips():
    m = "http://127.0.0.1:8000"
    assert to_mirror("https://a.cn/x/y.html?q=1", m) == "http://127.0.0.1:8000/a.cn/x/y.html?q=1"
    assert to_mirror("https://a.cn", m) == "http://127.0.0.1:8000/a.cn/"
    assert from_mirror("http://127.0.0.1:8000/a.cn/x/?p=2", m) == "https://a.cn/x/?p=2"
    assert from_mirror("http://elsewhere/a.cn/x", m) is None


def test_folder_index_extensionless_html_query_ignored(tree):
    status, headers, body = get(f"{tree}/a.cn/list/?page=3")
    assert (status, body) == (200, b"<p>list</p>")
    status, headers, body = get(f"{tree}/a.cn/content/6a67f58a06f05")
    assert status == 200 and headers["Content-Type"].startswith("text/html")


def test_missing_and_unindexed_folders_are_404(tree):
    assert get(f"{tree}/a.cn/nothing.html")[0] == 404
    assert get(f"{tree}/a.cn/empty/")[0] == 404


def test_conditional_requests_get_304(tree):
    status, headers, _ = get(f"{tree}/a.cn/list/index.html")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert get(f"{tree}/a.cn/list/index.html", {"If-None-Match": etag})[0] == 304
    assert get(f"{tree}/a.cn/list/index.html", {"If-Modified-Since": modified})[0] == 304
