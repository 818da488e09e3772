"""The view-count history and its tracked articles: checkpoints due, the budget, crash safety."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from newscrawl.site import SITE_TZ
from newscrawl.views import (
    HistoryLockedError,
    Revisit,
    ViewsHistory,
    epoch,
    parse_revisit_ages,
    utc_text,
)
from tests.conftest import read_jsonl

# Times are seconds after T0; publication times are written in the site's zone, as the dataset has.
T0 = 1_795_000_000.0
AGES = (60, 3600)


def article(slug: str, published: float) -> Revisit:
    published_at = datetime.fromtimestamp(T0 + published, SITE_TZ).isoformat()
    return Revisit(slug, f"https://caliber.az/en/post/{slug}", "en", published_at)


def at(seconds: float) -> str:
    return utc_text(T0 + seconds)


def opened(path: Path, now: float, ages: tuple[int, ...] = AGES, runs: int = 5) -> ViewsHistory:
    history = ViewsHistory(path, ages, max_failed_runs=runs)
    history.open(T0 + now)
    return history


def slugs(revisits: list[Revisit]) -> list[str]:
    return [revisit.slug for revisit in revisits]


def test_every_observation_is_one_line_with_its_age(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0)
    a = article("a", 0)
    history.observe(a, 120, at(10))
    history.observe(a, None, at(75))
    history.close()
    assert read_jsonl(path) == [
        {
            "slug": "a",
            "url": "https://caliber.az/en/post/a",
            "language": "en",
            "published_at": "2026-11-18T15:06:40+04:00",
            "views": 120,
            "observed_at": "2026-11-18T11:06:50Z",
            "age_seconds": 10,
        },
        {
            "slug": "a",
            "url": "https://caliber.az/en/post/a",
            "language": "en",
            "published_at": "2026-11-18T15:06:40+04:00",
            "views": None,
            "observed_at": "2026-11-18T11:07:55Z",
            "age_seconds": 75,
        },
    ]


def test_due_articles_come_oldest_checkpoint_first_within_the_budget(tmp_path: Path) -> None:
    history = opened(tmp_path / "w.views.jsonl", 0)
    for slug, published, observed in [
        ("a", 0, 10),  # due at its 1 h checkpoint (3600); its 1 min one was missed
        ("b", 100, 110),  # due at 3700
        ("c", 3500, 3510),  # due at 1 min (3560)
        ("d", 3900, 3905),  # due at 3960
        ("e", 3950, 3955),  # its first checkpoint (4010) has not come yet
        ("f", 0, 3650),  # first read after its last checkpoint: never tracked
    ]:
        history.observe(article(slug, published), 1, at(observed))
    assert sorted(history.tracked) == ["a", "b", "c", "d", "e"]
    now = T0 + 4000
    assert slugs(history.due(now)) == ["c", "a", "b", "d"]

    plan = history.plan(now, budget=3)
    assert (slugs(plan.chosen), plan.due, plan.backfill, plan.deferred) == (
        ["c", "a", "b"],
        4,
        0,
        1,
    )

    # A backfill comes after the due articles, oldest published first, without repeating them.
    backfill = [article("y", -50_000), article("a", 0), article("x", -90_000)]
    plan = history.plan(now, budget=0, backfill=backfill)
    assert (slugs(plan.chosen), plan.due, plan.backfill, plan.deferred) == (
        ["c", "a", "b", "d", "x", "y"],
        4,
        2,
        0,
    )
    plan = history.plan(now, budget=5, backfill=backfill)
    assert slugs(plan.chosen) == ["c", "a", "b", "d", "x"]
    assert (plan.deferred, plan.resume_at) == (1, backfill[0].published_at)


def test_a_reading_settles_its_checkpoint_and_the_last_one_ends_tracking(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0)
    a = article("a", 0)
    history.observe(a, 1, at(10))
    assert slugs(history.due(T0 + 60)) == ["a"]  # at or after its moment: due
    history.observe(a, 5, at(60))
    assert history.due(T0 + 3599) == []
    history.observe(a, 9, at(3600))
    history.close()
    state = json.loads(path.with_name("w.views.jsonl.tracked.json").read_text())
    assert state["articles"] == []
    assert state["history_bytes"] == path.stat().st_size


def test_a_killed_run_is_caught_up_from_the_history(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0)
    history.observe(article("a", 0), 1, at(10))
    history.close()
    state = json.loads(path.with_name("w.views.jsonl.tracked.json").read_text())
    assert state["articles"] == [
        [
            "a",
            "https://caliber.az/en/post/a",
            "en",
            article("a", 0).published_at,
            T0,
            T0 + 10,
            0,
            False,
        ]
    ]

    killed = opened(path, 100)
    assert (killed.loaded_from, killed.lines_read, sorted(killed.tracked)) == ("loaded", 0, ["a"])
    killed.observe(article("b", 100), 1, at(110))
    killed.observe(article("a", 0), 2, at(70))
    killed.file.close()  # killed: the tracked articles were never saved

    history = opened(path, 200)
    assert (history.loaded_from, history.lines_read) == ("caught up", 2)
    assert {slug: entry.settled for slug, entry in history.tracked.items()} == {
        "a": T0 + 70,
        "b": T0 + 110,
    }
    assert slugs(history.due(T0 + 200)) == ["b"]


def test_lost_state_is_rebuilt_from_the_tail_of_the_history_only(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0, ages=(60,))
    history.observe(article("old", -10), 1, at(0))
    history.observe(article("a", 1000), 1, at(1010))
    history.observe(article("a", 1000), 2, at(1070))  # its last checkpoint read: done
    history.observe(article("b", 1050), 1, at(1055))
    history.close()
    path.with_name("w.views.jsonl.tracked.json").unlink()

    history = opened(path, 1100, ages=(60,))
    # Read back to 2 × the last checkpoint (120 s) before now: the line of "old" is not needed.
    assert (history.loaded_from, history.lines_read) == ("rebuilt", 3)
    assert {slug: entry.settled for slug, entry in history.tracked.items()} == {"b": T0 + 1055}


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: {**state, "history_bytes": "12"},
        lambda state: {**state, "history_bytes": -5},
        lambda state: {**state, "history_bytes": 1.5},
        lambda state: {**state, "history_inode": True},
        lambda state: {**state, "articles": {"a": 1}},
        lambda state: "[" * 5000,
    ],
    ids=["text", "negative", "float", "bool", "not-a-list", "deep"],
)
def test_a_damaged_state_file_is_rebuilt_and_the_next_run_is_fine(
    tmp_path: Path, damage: object
) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0, ages=(60,))
    history.observe(article("b", 1050), 1, at(1055))
    history.close()
    tracked = path.with_name("w.views.jsonl.tracked.json")
    damaged = damage(json.loads(tracked.read_text()))  # type: ignore[operator]
    tracked.write_text(damaged if isinstance(damaged, str) else json.dumps(damaged))
    # A deep JSON line in the history itself is skipped, not raised.
    with path.open("a") as lines:
        lines.write("[" * 5000 + "\n")

    history = opened(path, 1100, ages=(60,))
    assert history.loaded_from == "rebuilt"
    assert {slug: entry.settled for slug, entry in history.tracked.items()} == {"b": T0 + 1055}
    history.close()
    assert json.loads(tracked.read_text())["history_bytes"] == path.stat().st_size
    assert opened(path, 1101, ages=(60,)).loaded_from != "rebuilt"


def test_a_torn_last_line_is_moved_aside_and_the_next_lines_are_whole(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0)
    history.observe(article("a", 0), 1, at(10))
    history.close()
    whole = path.read_bytes()
    with path.open("ab") as torn:
        torn.write(b'{"slug": "b", "url": "https://caliber.az/en/po')

    history = opened(path, 20)
    assert history.repair is not None and history.repair.rejected_bytes == 46
    assert path.read_bytes() == whole
    assert path.with_name("w.views.jsonl.rejected").read_bytes() == (
        b'{"slug": "b", "url": "https://caliber.az/en/po\n'
    )
    history.observe(article("b", 0), 7, at(20))
    history.close()
    assert [(line["slug"], line["views"]) for line in read_jsonl(path)] == [("a", 1), ("b", 7)]


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    first = opened(path, 0)
    with pytest.raises(HistoryLockedError, match="another crawl is writing"):
        opened(path, 0)
    first.close()
    opened(path, 0).close()


def test_failed_revisits_are_asked_again_then_given_up(tmp_path: Path) -> None:
    history = opened(tmp_path / "w.views.jsonl", 0, runs=2)
    a = article("a", 0)
    history.observe(a, 1, at(10))
    now = T0 + 100
    assert history.failed(a, now) is False
    assert slugs(history.due(now)) == ["a"]
    assert history.failed(a, now) is True  # the 1 min checkpoint is given up, not the article
    assert history.due(now) == []
    assert slugs(history.due(T0 + 3600)) == ["a"]

    # A backfill article outside the tracked window is owed once, whatever the checkpoints.
    old = article("old", -(10**6))
    assert history.failed(old, now) is False
    assert slugs(history.due(now)) == ["old"]
    assert history.failed(old, now) is True
    assert "old" not in history.tracked

    history.gone(a)
    assert history.tracked == {}


def test_revisits_off_keep_no_tracked_state(tmp_path: Path) -> None:
    path = tmp_path / "w.views.jsonl"
    history = opened(path, 0, ages=parse_revisit_ages(""))
    history.observe(article("a", 0), 1, at(10))
    history.close()
    assert history.tracked == {}
    assert not path.with_name("w.views.jsonl.tracked.json").exists()
    assert epoch(read_jsonl(path)[0]["observed_at"]) == T0 + 10
