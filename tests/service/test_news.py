"""Bringing in the news end to end: `crosscheck ingest` of feeds, `crosscheck watch`, and POST /v1/documents
with a url, against three local news sites (tests/index/web/site.py) and the fake embedder."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import cli as cli_module
from service.corpus import Corpus
from service.errors import CrosscheckError, InvalidInputError
from service.settings import Settings
from service.watch import Round, Stop, parse_interval, read_feeds, watch
from tests.conftest import FakeEmbedder
from tests.index.web.site import NewsSites, dutch_article

FAST = {"CROSSCHECK_FETCH_TIMEOUT": "1", "CROSSCHECK_FETCH_MAX_BYTES": str(1024 * 1024)}


@pytest.fixture
def run(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setattr("service.corpus.LazyEmbedder", lambda name, threads=None: FakeEmbedder(model_id=name))
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli_module.cli, list(args))
        if isinstance(result.exception, CrosscheckError):  # as main() prints it
            return 1, result.stdout, f"{result.stderr}Error: {result.exception}\n"
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_ingest_feeds_then_again(run: Callable[..., tuple[int, str, str]], sites: NewsSites) -> None:
    code, _, err = run("ingest", *sites.feeds, "--fetch-allow-private")
    assert code == 0, err
    assert "30 added" in err
    assert "3 feeds/sitemaps read, 36 items listed, 30 pages fetched" in err
    for url, why in sites.failing.items():
        assert any(line.startswith(f"warning: {url}: ") and why in line for line in err.splitlines()), url
    code, out, _ = run("sources", "--json")
    sources = json.loads(out)
    assert len(sources) == 30
    assert all(s["title"] and s["published"] and s["language"] and s["url"] for s in sources)
    assert sum(s["language"] == "nl" for s in sources) == 10

    fetched = sites.page_fetches()
    code, _, err = run("ingest", *sites.feeds, "--fetch-allow-private")
    assert code == 0
    assert "0 added, 0 replaced, 0 unchanged" in err
    assert "3 unchanged, 0 items listed, 0 pages fetched" in err
    assert sites.page_fetches() == fetched


def test_ingest_refuses_private_addresses_without_the_option(
    run: Callable[..., tuple[int, str, str]], sites: NewsSites
) -> None:
    code, _, err = run("ingest", sites.wire.feed_url)
    assert code == 1
    assert f"warning: {sites.wire.feed_url}: the address is 127.0.0.1, an address on a loopback" in err
    assert err.endswith("Error: nothing was ingested\n")


def test_watch_picks_up_a_new_item(isolated_env: Path, sites: NewsSites, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("# the test sites\n" + "\n".join(sites.feeds) + "\n\n", encoding="utf-8")
    settings = Settings(index_dir=isolated_env, fetch_allow_private=True, fetch_timeout=1, fetch_max_bytes=1 << 20)
    corpus = Corpus(settings, embedder=FakeEmbedder())
    rounds: list[Round] = []
    added = dutch_article(41, "/nieuws/bericht-41")

    def after(round_: Round) -> None:
        rounds.append(round_)
        if round_.number == 1:
            sites.nieuws.articles.append(added)

    count = watch(corpus, feeds, 1.0, stop=Stop(), rounds=3, on_round=after)

    assert count == 3
    assert [r.report.added for r in rounds] == [30, 1, 0]
    assert rounds[1].report.crawl is not None and rounds[1].report.crawl.fetched == 1
    assert sites.nieuws.page_hits[added.path] == 1
    assert any(s.url == sites.nieuws.url(added.path) and s.language == "nl" for s in corpus.sources())


def test_watch_stops_when_asked(isolated_env: Path, sites: NewsSites, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(sites.nieuws.feed_url, encoding="utf-8")
    settings = Settings(index_dir=isolated_env, fetch_allow_private=True)
    stop = Stop()
    done: list[int] = []
    thread = threading.Thread(
        target=lambda: done.append(watch(Corpus(settings, embedder=FakeEmbedder()), feeds, 3600, stop=stop)),
    )
    thread.start()
    stop.event.set()  # as the first Ctrl-C does: the round in progress finishes, then the watch ends
    thread.join(timeout=60)
    assert not thread.is_alive() and done == [1]


def test_watch_backs_off_a_failing_feed(isolated_env: Path, sites: NewsSites, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    broken = sites.wire.url("/missing")
    feeds.write_text(f"{broken}\n{sites.nieuws.feed_url}\n", encoding="utf-8")
    settings = Settings(index_dir=isolated_env, fetch_allow_private=True)
    corpus = Corpus(settings, embedder=FakeEmbedder())
    rounds: list[Round] = []
    watch(corpus, feeds, 1.0, stop=Stop(), rounds=3, on_round=rounds.append)
    hits = [r for r, _ in sites.wire.server.log if r.path == "/missing"]
    # tried in round 1, retried after one interval (round 2), then left for two intervals (not in round 3)
    assert len(hits) == 2
    assert [r.report.crawl.listings_deferred for r in rounds if r.report.crawl] == [0, 0, 1]


def test_intervals_and_feeds_files(tmp_path: Path) -> None:
    assert [parse_interval(t) for t in ("90", "30s", "15m", "2h", "1d")] == [90, 30, 900, 7200, 86400]
    for bad in ("soon", "0s", "-5m"):
        with pytest.raises(InvalidInputError):
            parse_interval(bad)
    listed = tmp_path / "feeds.txt"
    listed.write_text("https://a.example/rss  # the first\n\n# off for now: https://b.example/rss\nfeeds/c.xml\n")
    assert read_feeds(listed) == ["https://a.example/rss", "feeds/c.xml"]
    with pytest.raises(InvalidInputError, match="no feeds listed"):
        (tmp_path / "empty.txt").write_text("# nothing\n")
        read_feeds(tmp_path / "empty.txt")


def test_the_watch_command(run: Callable[..., tuple[int, str, str]], sites: NewsSites, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{sites.nieuws.feed_url}\n", encoding="utf-8")
    code, _, err = run("watch", str(feeds), "--every", "1s", "--rounds", "2", "--fetch-allow-private", "--quiet")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0].startswith(f"watching {feeds} every 1s into ")
    assert "round 1: 10 added" in lines[1] and "10 pages fetched" in lines[1]
    assert "round 2: 0 added" in lines[2] and "0 pages fetched" in lines[2]
    assert lines[-1] == "stopped after 2 rounds"
    code, _, err = run("watch", str(feeds), "--every", "soon")
    assert code == 1 and "not an interval: 'soon'" in err


def test_ctrl_c_stops_the_watch_cleanly(isolated_env: Path, sites: NewsSites, tmp_path: Path) -> None:
    """A real process and a real SIGINT: the watch, sleeping until its next round, ends at once with exit 0."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{sites.nieuws.feed_url}\n", encoding="utf-8")
    program = (
        "import service.corpus as corpus\n"
        "from tests.conftest import FakeEmbedder\n"
        "corpus.LazyEmbedder = lambda name, threads=None: FakeEmbedder(model_id=name)\n"
        "from service.cli import main\n"
        f"main(['watch', {str(feeds)!r}, '--every', '1h', '--fetch-allow-private'])\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program], cwd=REPO, env=os.environ.copy(), stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "round 1:" in line:
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == 0, "".join(lines) + rest
    assert "stopping after this round" in rest and rest.rstrip().endswith("stopped after 1 round")
    assert "Traceback" not in rest
