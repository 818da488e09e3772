"""The view-count history: every reading of an article's views, one JSON line beside the dataset.

The articles still owed a reading at one of ``CALIBER_REVISIT_AGES`` are kept in a small state file.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from newscrawl.arguments import BadArgumentError
from newscrawl.dataset import Repair, encode_line, repair_tail

#: The keys of one observation, in output order.
OBSERVATION_KEYS = (
    "slug",
    "url",
    "language",
    "published_at",
    "views",
    "observed_at",
    "age_seconds",
)
DEFAULT_AGES = "1h,6h,1d,3d,7d"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"([0-9]{1,9})\s*([smhd])")
_CHUNK = 1 << 20
_TRACKED_VERSION = 1


def parse_revisit_ages(value: str | Sequence[str]) -> tuple[int, ...]:
    """``CALIBER_REVISIT_AGES``: ages after publication, in seconds, ascending; empty: none.

    >>> parse_revisit_ages("1h,6h,1d,3d,7d")
    (3600, 21600, 86400, 259200, 604800)
    >>> parse_revisit_ages(" 4s, 2s ,90m,2s"), parse_revisit_ages(""), parse_revisit_ages(["1d"])
    ((2, 4, 5400), (), (86400,))
    >>> parse_revisit_ages("1w")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: CALIBER_REVISIT_AGES must be ages after publication \
such as 1h,6h,1d,3d,7d (a whole number of at least 1 and a unit s, m, h or d; empty: no revisits), \
got '1w'
    """
    text = value if isinstance(value, str) else ",".join(value)
    ages = set()
    for part in text.split(","):
        if not part.strip() and not text.strip():
            continue
        match = _AGE.fullmatch(part.strip().lower())
        if match is None or int(match[1]) < 1:
            raise BadArgumentError(
                "CALIBER_REVISIT_AGES must be ages after publication such as 1h,6h,1d,3d,7d "
                "(a whole number of at least 1 and a unit s, m, h or d; empty: no revisits), "
                f"got {text!r}"
            )
        ages.add(int(match[1]) * _UNITS[match[2]])
    return tuple(sorted(ages))


def parse_revisit_max(value: str | int) -> int:
    """``CALIBER_REVISIT_MAX``: how many revisits one run makes at most; ``0``: no limit.

    >>> parse_revisit_max("100"), parse_revisit_max(0)
    (100, 0)
    >>> parse_revisit_max("-1")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: CALIBER_REVISIT_MAX must be a whole number of at least \
0 (0: no limit), got '-1'
    """
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise BadArgumentError(
            f"CALIBER_REVISIT_MAX must be a whole number of at least 0 (0: no limit), got {value!r}"
        )
    return number


def default_views_path(dataset: Path) -> Path:
    """Where the history of a dataset goes unless ``VIEWS_PATH`` says otherwise: beside it.

    >>> default_views_path(Path("data/caliber_world.jsonl")).as_posix()
    'data/caliber_world.views.jsonl'
    >>> default_views_path(Path("world.json")).as_posix()
    'world.json.views.jsonl'
    """
    name = dataset.name.removesuffix(".jsonl") if dataset.name.endswith(".jsonl") else dataset.name
    return dataset.with_name(name + ".views.jsonl")


def epoch(text: object) -> float | None:
    """Seconds since 1970 of an ISO 8601 time with an offset (``Z`` too); ``None`` otherwise.

    >>> epoch("1970-01-01T04:01:00+04:00"), epoch("1970-01-01T00:00:02Z")
    (60.0, 2.0)
    >>> epoch("2025-11-07T11:03:00") is None, epoch(None) is None, epoch("soon") is None
    (True, True, True)
    """
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def utc_text(seconds: float) -> str:
    """An epoch time as the history writes it: UTC, whole seconds, ``Z``.

    >>> utc_text(86400.7)
    '1970-01-02T00:00:00Z'
    """
    moment = datetime.fromtimestamp(math.floor(seconds), UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class Revisit(NamedTuple):
    """An article to read again: what its observation line repeats from the dataset."""

    slug: str
    url: str
    language: str | None
    published_at: str | None


def observation(revisit: Revisit, *, views: int | None, observed_at: str) -> dict[str, Any]:
    """One line of the history; ``age_seconds`` is ``observed_at - published_at`` (``None``
    when the publication time is unknown).

    >>> article = Revisit("a-b", "https://h/en/post/a-b", "en", "2025-11-07T11:03:00+04:00")
    >>> observation(article, views=1234, observed_at="2025-11-08T07:03:05Z")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'slug': 'a-b', 'url': 'https://h/en/post/a-b', 'language': 'en',
     'published_at': '2025-11-07T11:03:00+04:00', 'views': 1234,
     'observed_at': '2025-11-08T07:03:05Z', 'age_seconds': 86405}
    """
    published, observed = epoch(revisit.published_at), epoch(observed_at)
    age = None if published is None or observed is None else round(observed - published)
    values = (*revisit, views, observed_at, age)
    return dict(zip(OBSERVATION_KEYS, values, strict=True))


def due_moment(
    published: float, settled: float | None, ages: Sequence[int], now: float
) -> float | None:
    """When the checkpoint an article is due for passed, or ``None`` when it is due for none.

    An article is due when ``published + age`` has passed for one of ``ages`` and nothing settled
    it since (an observation at or after that moment, or giving that checkpoint up). One reading
    settles every checkpoint passed before it, so the moment is that of the latest one passed:

    >>> ages = (10, 60, 3600)
    >>> due_moment(1000, 1005, ages, now=1030)  # 10 s passed at 1010, last settled at 1005
    1010
    >>> due_moment(1000, 1010, ages, now=1030) is None  # read at the moment itself
    True
    >>> due_moment(1000, 1005, ages, now=5000)  # the run missed 10 s and 1 min: 1 h settles all
    4600
    >>> due_moment(1000, None, ages, now=1005) is None  # no checkpoint passed yet
    True
    """
    passed = [published + age for age in ages if published + age <= now]
    if not passed or (settled is not None and settled >= passed[-1]):
        return None
    return passed[-1]


def on_host(url: str, base_url: str) -> str:
    """``url`` with the scheme and host of ``base_url`` (its path kept): where to read it again.

    >>> on_host("https://caliber.az/en/post/a-b", "http://127.0.0.1:8080")
    'http://127.0.0.1:8080/en/post/a-b'
    """
    return base_url.rstrip("/") + (urlsplit(url).path or "/")


@dataclass(slots=True)
class Tracked:
    """An article still owed a reading: its last checkpoint has not been settled yet.

    ``settled``: every checkpoint up to this time is settled (read at or after it, or given up);
    ``failures``: runs in a row whose revisit failed; ``owed``: a reading is owed now, whatever
    the checkpoints (a backfill revisit that failed).
    """

    revisit: Revisit
    published: float
    settled: float | None = None
    failures: int = 0
    owed: bool = False

    def row(self) -> list[Any]:
        """The article as a row of the state file (times in seconds since 1970: no parsing at
        start)."""
        return [*self.revisit, self.published, self.settled, self.failures, self.owed]

    @classmethod
    def from_row(cls, row: Any) -> Tracked | None:
        """The article of a state-file row, or ``None`` for a row that is not one.

        >>> entry = Tracked(Revisit("a", "https://h/en/post/a", "en", "1970-01-01T04:00Z"), 0)
        >>> Tracked.from_row(entry.row()) == entry, Tracked.from_row(["a", 1]) is None
        (True, True)
        """
        try:
            slug, url, language, published_at, published, settled, failures, owed = row
        except (TypeError, ValueError):
            return None
        if not (
            isinstance(slug, str)
            and isinstance(url, str)
            and isinstance(published, int | float)
            and (settled is None or isinstance(settled, int | float))
        ):
            return None
        return cls(
            Revisit(slug, url, language, published_at),
            published,
            settled,
            failures if isinstance(failures, int) else 0,
            owed is True,
        )


class HistoryLockedError(RuntimeError):
    """Another crawl is appending to the same history."""


class JsonlAppender:
    """An append-only JSONL file with the dataset's crash safety: one writer at a time (an
    ``flock`` on ``<path>.lock``), a torn last line moved to ``<path>.rejected`` at open, and every
    record written as one whole line with ``write(2)`` on a file opened for appending.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.rejected_path = path.with_name(path.name + ".rejected")
        self.repair: Repair | None = None
        self._fd: int | None = None
        self._lock_fd: int | None = None

    def open(self) -> None:
        """Lock the file (``HistoryLockedError`` when another writer holds it), repair its tail,
        and open it for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise HistoryLockedError(
                f"another crawl is writing {self.path} (lock {self.lock_path})"
            ) from None
        self.repair = repair_tail(self.path, self.rejected_path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one whole line, straight to the OS; ``OSError`` when it cannot."""
        if self._fd is None:
            raise RuntimeError(f"{self.path} is not open")
        data = memoryview(encode_line(record))
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    @property
    def is_open(self) -> bool:
        """Whether the file is open for appending."""
        return self._fd is not None

    def close(self) -> None:
        """Close the file and release the lock; safe to call twice."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


@dataclass
class Plan:
    """The revisits one run makes, and what it leaves for the next runs."""

    chosen: list[Revisit] = field(default_factory=list)
    due: int = 0
    backfill: int = 0
    deferred: int = 0
    #: The publication time of the first backfill article left for later (resume from it).
    resume_at: str | None = None


class ViewsHistory:
    """The history file and the articles still owed a reading (``<path>.tracked.json``).

    Only articles whose last checkpoint is not settled are tracked, so the state stays the size of
    the last ``ages[-1]`` of articles however large the archive. The state file records how much
    of the history it covers; at open, lines written after it (a killed run) are read forward,
    and a lost or unreadable state file is rebuilt from the history's last ``2 * ages[-1]``,
    read backwards from its end.
    """

    def __init__(self, path: Path, ages: Sequence[int], *, max_failed_runs: int = 5) -> None:
        self.path = path
        self.ages = tuple(ages)
        self.max_failed_runs = max_failed_runs
        self.file = JsonlAppender(path)
        self.tracked_path = path.with_name(path.name + ".tracked.json")
        self.tracked: dict[str, Tracked] = {}
        #: How the state was brought up to date at open: "loaded", "caught up", "rebuilt".
        self.loaded_from = "loaded"
        self.lines_read = 0
        #: Articles dropped at open because their last checkpoint is long past.
        self.expired: list[Tracked] = []

    def files(self) -> frozenset[Path]:
        """The history and every file kept beside it, as real paths."""
        paths = (self.path, self.file.lock_path, self.file.rejected_path, self.tracked_path)
        return frozenset(Path(os.path.realpath(path)) for path in paths)

    @property
    def repair(self) -> Repair | None:
        """The torn last line found at open, if any."""
        return self.file.repair

    def open(self, now: float) -> None:
        """Lock and repair the history, load the tracked articles and bring them up to date."""
        self.file.open()
        covered, inode = self._load_tracked()
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return
        if covered is not None and stat.st_ino == inode and stat.st_size >= covered:
            if stat.st_size > covered:
                self.loaded_from = "caught up"
                for record in _records_from(self.path, covered):
                    self.lines_read += 1
                    self._settle(record)
        elif self.ages:
            self.loaded_from = "rebuilt"
            self._rebuild(now)
        self._expire(now)

    def _load_tracked(self) -> tuple[int | None, int | None]:
        """Read the state file; ``(None, None)`` when it is missing or unreadable."""
        try:
            state = json.loads(self.tracked_path.read_text(encoding="utf-8"))
            covered, inode = state["history_bytes"], state["history_inode"]
            rows = state["articles"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None, None
        if (
            state.get("version") != _TRACKED_VERSION
            or not isinstance(rows, list)
            or not _whole(covered)
            or not _whole(inode)
        ):
            return None, None  # damaged: rebuilt from the history's tail
        for row in rows:
            entry = Tracked.from_row(row)
            if entry is not None:
                self.tracked[entry.revisit.slug] = entry
        return covered, inode

    def _rebuild(self, now: float) -> None:
        """Track again the articles the history's tail shows still owed a reading."""
        cutoff = now - 2 * self.ages[-1]
        latest: dict[str, dict[str, Any]] = {}
        for record in _records_back_to(self.path, cutoff):
            self.lines_read += 1
            seen = latest.get(record["slug"])
            if seen is None or record["observed"] > seen["observed"]:
                latest[record["slug"]] = record
        for record in latest.values():
            self._settle(record)

    def _settle(self, record: Mapping[str, Any]) -> None:
        """Take in one observation: it settles the article's checkpoints up to its time, and
        starts tracking an article that still has checkpoints ahead of it."""
        slug, observed = record["slug"], record["observed"]
        entry = self.tracked.get(slug)
        if entry is not None:
            entry.settled = observed if entry.settled is None else max(entry.settled, observed)
            entry.failures, entry.owed = 0, False
            return
        published = epoch(record["published_at"])
        if published is None or not self.ages or observed >= published + self.ages[-1]:
            return
        revisit = Revisit(slug, record["url"], record["language"], record["published_at"])
        self.tracked[slug] = Tracked(revisit, published, observed)

    def _expire(self, now: float) -> None:
        """Stop tracking articles whose last checkpoint passed twice its age ago unread."""
        if not self.ages:
            return
        last = self.ages[-1]
        for slug, entry in list(self.tracked.items()):
            if not entry.owed and now >= entry.published + 2 * last:
                self.expired.append(self.tracked.pop(slug))

    def due(self, now: float) -> list[Revisit]:
        """The tracked articles due a reading, the checkpoint that passed first first."""
        waiting = []
        for entry in self.tracked.values():
            moment = entry.published if entry.owed else None
            if moment is None:
                moment = due_moment(entry.published, entry.settled, self.ages, now)
            if moment is not None:
                waiting.append((moment, entry.revisit.slug, entry.revisit))
        return [revisit for _, _, revisit in sorted(waiting)]

    def plan(self, now: float, budget: int, backfill: Iterable[Revisit] = ()) -> Plan:
        """This run's revisits: the due ones, then the backfill's (oldest published first) that
        are not among them, at most ``budget`` in all (``0``: no limit)."""
        due = self.due(now)
        wanted = {revisit.slug for revisit in due}
        extra = sorted(
            (r for r in backfill if r.slug not in wanted),
            key=lambda r: (epoch(r.published_at) or 0.0, r.slug),
        )
        everything = due + extra
        chosen = everything[:budget] if budget else everything
        left = everything[len(chosen) :]
        resume = next((r.published_at for r in left if r.slug not in wanted), None)
        return Plan(chosen, len(due), len(extra), len(left), resume)

    def observe(
        self,
        revisit: Revisit,
        views: int | None,
        observed_at: str,
    ) -> dict[str, Any]:
        """Append one observation (``OSError`` when the file cannot take it) and settle the
        article's checkpoints up to it; returns the line written."""
        record = observation(revisit, views=views, observed_at=observed_at)
        self.file.append(record)
        observed = epoch(observed_at)
        if observed is not None:
            self._settle({**record, "observed": observed})
        return record

    def failed(self, revisit: Revisit, now: float) -> bool:
        """A revisit failed (the page may come back): the next run asks again. Returns whether
        this was the ``max_failed_runs``-th run in a row, after which the checkpoint is given up
        (a backfill article is given up altogether)."""
        entry = self.tracked.get(revisit.slug)
        if entry is None:
            published = epoch(revisit.published_at)
            if published is None:
                return True
            entry = self.tracked[revisit.slug] = Tracked(revisit, published, owed=True)
        entry.failures += 1
        if entry.failures < self.max_failed_runs:
            return False
        if entry.owed:
            del self.tracked[revisit.slug]
        else:
            entry.settled = due_moment(entry.published, entry.settled, self.ages, now) or now
            entry.failures = 0
        return True

    def gone(self, revisit: Revisit) -> None:
        """The article is gone (a 404): its revisits end."""
        self.tracked.pop(revisit.slug, None)

    def save(self) -> None:
        """Write the tracked articles (those with a checkpoint unsettled) atomically."""
        last = self.ages[-1] if self.ages else 0
        rows = [
            entry.row()
            for entry in self.tracked.values()
            if entry.owed or (entry.settled is None or entry.settled < entry.published + last)
        ]
        try:
            stat = self.path.stat()
            covered, inode = stat.st_size, stat.st_ino
        except FileNotFoundError:
            covered, inode = 0, 0
        state = {
            "version": _TRACKED_VERSION,
            "history_bytes": covered,
            "history_inode": inode,
            "articles": rows,
        }
        partial = self.tracked_path.with_name(self.tracked_path.name + ".tmp")
        partial.write_text(json.dumps(state, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(partial, self.tracked_path)

    def close(self) -> None:
        """Save the tracked articles when revisits are on, close the file, release the lock."""
        try:
            if self.ages and self.file.is_open:
                self.save()
        finally:
            self.file.close()


def _whole(value: Any) -> bool:
    """Whether a state-file number is a byte offset or inode: a whole number, not negative.

    >>> _whole(0), _whole(12), _whole(-1), _whole(1.5), _whole(True), _whole("12")
    (True, True, False, False, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _record(line: bytes) -> dict[str, Any] | None:
    """The fields of one history line that the state needs, or ``None`` for a broken line."""
    try:
        record = json.loads(line)
        observed = epoch(record["observed_at"])
        slug, url = record["slug"], record["url"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    if observed is None or not isinstance(slug, str) or not isinstance(url, str):
        return None
    return {
        "slug": slug,
        "url": url,
        "language": record.get("language"),
        "published_at": record.get("published_at"),
        "observed": observed,
    }


def _records_from(path: Path, offset: int) -> Iterator[dict[str, Any]]:
    """The history's records from byte ``offset`` on (whole lines only)."""
    with path.open("rb") as history:
        history.seek(offset)
        for line in history:
            if not line.endswith(b"\n"):
                break
            record = _record(line)
            if record is not None:
                yield record


def _records_back_to(path: Path, cutoff: float) -> Iterator[dict[str, Any]]:
    """The history's records from its end backwards, until one observed before ``cutoff``."""
    with path.open("rb") as history:
        position = history.seek(0, os.SEEK_END)
        rest = b""
        while position > 0:
            step = min(_CHUNK, position)
            position -= step
            history.seek(position)
            lines = (history.read(step) + rest).split(b"\n")
            rest = lines.pop(0) if position > 0 else b""
            for line in reversed(lines):
                record = _record(line) if line else None
                if record is None:
                    continue
                if record["observed"] < cutoff:
                    return
                yield record


def stored_since(dataset: Path, since: datetime) -> list[Revisit]:
    """The articles a dataset holds that were published at or after ``since`` (read in full: only
    the backfill, an operator's explicit request, does this)."""
    threshold = since.timestamp()
    found: dict[str, Revisit] = {}
    try:
        lines = dataset.open("rb")
    except FileNotFoundError:
        return []
    with lines:
        for line in lines:
            try:
                record = json.loads(line)
                slug, url, published_at = record["slug"], record["url"], record["published_at"]
            except (ValueError, KeyError, TypeError, RecursionError):
                continue
            published = epoch(published_at)
            if published is None or published < threshold or not isinstance(slug, str):
                continue
            if isinstance(url, str) and slug not in found:
                found[slug] = Revisit(slug, url, record.get("language"), published_at)
    return list(found.values())
