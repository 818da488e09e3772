"""The JSONL dataset: one complete JSON article per line, the slugs it holds, and its run state."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from newscrawl import settings as project_settings
from newscrawl.state import SlugIndex, default_index_path, fsync_directory, line_slug

# Characters that json.dumps(ensure_ascii=False) leaves raw but str.splitlines() breaks on.
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TAIL_SCAN = 1 << 16
# The edition whose dataset is JSONL_PATH itself; another edition's default gets a suffix.
BASE_EDITION = "en"

#: Close reasons of a run stopped by its dataset (``scrapy crawl`` exits 1, a mismatch 2).
LOCKED = "dataset_locked"
UNWRITABLE = "dataset_unwritable"
MISMATCH = "dataset_mismatch"
WRITE_FAILED = "write_failed"


def encode_line(record: Mapping[str, Any]) -> bytes:
    r"""One record as a single UTF-8 JSON line that no reader can split.

    >>> encode_line({"headline": 'a "b"\nc\u2028d'})
    b'{"headline": "a \\"b\\"\\nc\\u2028d"}\n'

    Lone surrogates (from a broken page) are escaped instead of failing the write:

    >>> encode_line({"h": "x\udcff"})
    b'{"h": "x\\udcff"}\n'
    """
    text = json.dumps(record, ensure_ascii=False)
    for raw, escaped in _LINE_BREAKERS.items():
        if raw in text:
            text = text.replace(raw, escaped)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")


def edition_path(path: str, edition: str) -> str:
    """The default dataset of ``edition``, given the default dataset of the base edition.

    >>> edition_path("data/caliber_world.jsonl", "ru"), edition_path("data/world.jsonl", "en")
    ('data/caliber_world_ru.jsonl', 'data/world.jsonl')
    """
    if edition == BASE_EDITION:
        return path
    base = Path(path)
    return str(base.with_name(f"{base.stem}_{edition}{base.suffix}"))


def dataset_path(settings: BaseSettings, edition: str) -> Path:
    """``JSONL_PATH``, or the edition's own dataset while ``JSONL_PATH`` is left at its default.

    A value given with ``-s`` (or Scrapyd's ``setting=``, or a project that changed it) is used as
    it is, for any edition.
    """
    path = str(settings.get("JSONL_PATH"))
    priority = settings.getpriority("JSONL_PATH") or 0
    if path == project_settings.JSONL_PATH and priority <= SETTINGS_PRIORITIES["project"]:
        return Path(edition_path(path, edition))
    return Path(path)


def host_name(url: str) -> str:
    """The host name of a URL, without port: the part of the site's address a dataset keeps.

    >>> host_name("https://Caliber.az/en/post/x"), host_name("http://127.0.0.1:8000")
    ('caliber.az', '127.0.0.1')
    """
    return urlsplit(url).hostname or ""


@dataclass(frozen=True)
class Identity:
    """Which edition of which host a dataset holds (the port is not part of it: a replica or
    mirror may listen elsewhere next time and still serve the same site)."""

    edition: str
    host: str

    @classmethod
    def of(cls, edition: str, base_url: str) -> Identity:
        """The identity of a crawl of ``edition`` at ``base_url``."""
        return cls(edition, host_name(base_url))

    def __str__(self) -> str:
        return f"edition {self.edition} of {self.host}"


class DatasetError(RuntimeError):
    """The dataset cannot be used or written; ``reason`` is the run's close reason."""

    reason = "dataset_error"


class DatasetLockedError(DatasetError):
    """Another crawl is appending to the same dataset."""

    reason = LOCKED


class DatasetUnwritableError(DatasetError):
    """The dataset (or a file beside it) cannot be created or written."""

    reason = UNWRITABLE


class DatasetMismatchError(DatasetError):
    """The dataset holds another edition or another host than this crawl's."""

    reason = MISMATCH


class DatasetWriteError(DatasetError):
    """A write to the dataset failed part way (a full disk, a file-size limit)."""

    reason = WRITE_FAILED


@dataclass(frozen=True)
class Repair:
    """A last line without newline found at start: moved to ``rejected_path`` when half-written,
    or, when it is a whole record that lacked only its newline, given one (``completed_bytes``)."""

    rejected_bytes: int
    rejected_path: Path
    completed_bytes: int = 0


def repair_tail(path: Path, rejected_path: Path) -> Repair | None:
    """Mend a last line without its newline (a killed writer, a full disk).

    A whole JSON record gets its newline and stays. Anything else is cut from the dataset and
    appended to ``rejected_path`` on a line of its own, so nothing is silently dropped and
    nothing broken is kept.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    with path.open("r+b") as dataset:
        dataset.seek(size - 1)
        if dataset.read(1) == b"\n":
            return None
        # Back from the end a block at a time, each block read once, to the last newline.
        keep, end = 0, size
        while end > 0:
            start = max(0, end - _TAIL_SCAN)
            dataset.seek(start)
            cut = dataset.read(end - start).rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        dataset.seek(keep)
        last = dataset.read()
        if line_slug(last) is not None:
            dataset.write(b"\n")
            dataset.flush()
            os.fsync(dataset.fileno())
            return Repair(0, rejected_path, completed_bytes=len(last))
        with rejected_path.open("ab") as aside:
            aside.write(last + b"\n")
            aside.flush()
            os.fsync(aside.fileno())
        dataset.truncate(keep)
        dataset.flush()
        os.fsync(dataset.fileno())
    return Repair(len(last), rejected_path)


def first_record_identity(path: Path) -> Identity | None:
    """The identity the first record of a dataset shows (its ``language``, its ``url``'s host),
    for a dataset written before datasets recorded theirs."""
    try:
        with path.open("rb") as dataset:
            line = dataset.readline(1 << 20)
    except OSError:
        return None
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    language, url = record.get("language"), record.get("url")
    if not isinstance(language, str) or not isinstance(url, str) or not host_name(url):
        return None
    return Identity.of(language, url)


@dataclass
class RunState:
    """What ``JSONL_PATH.state.json`` holds, read leniently: what is damaged is reset."""

    walked: bool = False
    owed: dict[str, int] = field(default_factory=dict)
    identity: Identity | None = None

    @classmethod
    def parse(cls, text: str) -> tuple[RunState, list[str]]:
        r"""The state in ``text``, and what was wrong with it (reset to defaults).

        >>> RunState.parse('{"walked": true, "owed": {"a": 2}, "edition": "en", "host": "h"}')
        (RunState(walked=True, owed={'a': 2}, identity=Identity(edition='en', host='h')), [])
        >>> state, problems = RunState.parse('{"walked": 1, "owed": {"a": "2", "b": 1}, "host": 5}')
        >>> print(state, *problems, sep="\n")
        RunState(walked=False, owed={'b': 1}, identity=None)
        walked is not true or false
        owed: 1 of 2 entries are not a number of runs
        edition and host are not both text
        """
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            return cls(), ["not JSON"]
        if not isinstance(raw, dict):
            return cls(), ["not a JSON object"]
        problems = []
        walked = raw.get("walked", False)
        if not isinstance(walked, bool):
            problems.append("walked is not true or false")
            walked = False
        owed_raw = raw.get("owed", {})
        if not isinstance(owed_raw, dict):
            problems.append("owed is not an object")
            owed_raw = {}
        owed = {
            slug: runs
            for slug, runs in owed_raw.items()
            if isinstance(runs, int) and not isinstance(runs, bool) and runs >= 1 and slug
        }
        if len(owed) < len(owed_raw):
            bad = len(owed_raw) - len(owed)
            problems.append(f"owed: {bad} of {len(owed_raw)} entries are not a number of runs")
        edition, host = raw.get("edition"), raw.get("host")
        identity = None
        if isinstance(edition, str) and isinstance(host, str) and edition and host:
            identity = Identity(edition, host)
        elif edition is not None or host is not None:
            problems.append("edition and host are not both text")
        return cls(walked=walked, owed=owed, identity=identity), problems


class Dataset:
    """The append-only JSONL file, its lock, the index of the slugs it holds, and its run state.

    Every file belongs to the dataset's real path (symlinks resolved), beside it: ``.index``
    (see ``newscrawl.state``), ``.lock`` (one writer at a time), ``.rejected`` (half-written
    lines found at start), ``.state.json``: ``edition`` and ``host``, what the dataset holds;
    ``owed``, the articles not stored (a page that failed, an item refused or not written), by
    slug, with how many runs tried them (the next run asks again); and ``walked``, whether the
    last run ended well having walked the section down to its end or to pages it had already
    stored (only then may the next run stop at stored pages).
    """

    def __init__(self, path: Path, index_path: Path | None = None) -> None:
        self._given_index = index_path
        self._place(Path(os.path.realpath(path)))
        self.owed: dict[str, int] = {}
        self.walked = False
        self.walked_now = False
        self.identity: Identity | None = None
        self.index: SlugIndex | None = None
        self.repair: Repair | None = None
        #: What was wrong with the run state file (reset to defaults), found at open.
        self.state_problems: list[str] = []
        #: The first failed write; every later append raises it again without writing.
        self.failure: DatasetWriteError | None = None
        self._torn_from: int | None = None
        self._fd: int | None = None
        self._lock_fd: int | None = None

    def _place(self, path: Path) -> None:
        self.path = path
        given = self._given_index
        self.index_path = Path(os.path.realpath(given)) if given else default_index_path(path)
        self.rejected_path = path.with_name(path.name + ".rejected")
        self.lock_path = path.with_name(path.name + ".lock")
        self.state_path = path.with_name(path.name + ".state.json")

    @property
    def own_files(self) -> frozenset[Path]:
        """The dataset and every file kept beside it (real paths once it is open)."""
        return frozenset(
            {self.path, self.index_path, self.rejected_path, self.lock_path, self.state_path}
        )

    def open(self, identity: Identity | None = None) -> None:
        """Lock, check what the dataset holds against ``identity``, repair a torn last line,
        load the index and state, and open for appending.

        Raises ``DatasetLockedError``, ``DatasetMismatchError`` or ``DatasetUnwritableError``;
        then nothing was written.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._unwritable(error) from None
        self._place(Path(os.path.realpath(self.path)))
        if self.index_path in (self.path, self.rejected_path, self.lock_path, self.state_path):
            raise DatasetMismatchError(
                f"JSONL_INDEX_PATH {self.index_path} is a file the dataset {self.path} keeps "
                "itself (saving the index there would destroy it): give the index a path of its "
                "own, or leave the setting empty; this run stops without writing"
            )
        try:
            if os.path.lexists(self.path):
                # A read-only dataset is found before anything is written beside it.
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._release()
            raise DatasetLockedError(
                f"another crawl is writing {self.path} (lock {self.lock_path}); "
                "this run stops without writing"
            ) from None
        except OSError as error:
            self._release()
            raise self._unwritable(error) from None
        try:
            self._open_locked(identity)
        except DatasetError:
            self._release()
            raise
        except OSError as error:
            self._release()
            raise self._unwritable(error) from None

    def _open_locked(self, identity: Identity | None) -> None:
        state = self._read_state()
        self.identity = self._checked_identity(state.identity, identity)
        self.walked = state.walked
        # Until this run ends well, the dataset may have holes: a killed run leaves walked false.
        self._write_state(walked=False, owed=state.owed)
        self.repair = repair_tail(self.path, self.rejected_path)
        self.index = SlugIndex.load(self.path, self.index_path)
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if self.index.changed:
            self.index.save()
        self.owed = {slug: runs for slug, runs in state.owed.items() if slug not in self}

    def _unwritable(self, error: OSError) -> DatasetUnwritableError:
        return DatasetUnwritableError(
            f"cannot write the dataset {self.path} ({error}); this run stops without writing"
        )

    def _read_state(self) -> RunState:
        try:
            text = self.state_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return RunState()
        except (OSError, UnicodeDecodeError) as error:
            text = ""
            self.state_problems = [f"unreadable ({error})"]
        state, problems = RunState.parse(text)
        self.state_problems = self.state_problems or problems
        return state

    def _checked_identity(self, stored: Identity | None, crawl: Identity | None) -> Identity | None:
        held = stored or first_record_identity(self.path)
        if held is not None and crawl is not None and held != crawl:
            raise DatasetMismatchError(
                f"{self.path} holds {held}; this crawl is {crawl}"
                " — use -s JSONL_PATH=… for another dataset"
            )
        return held or crawl

    def __contains__(self, slug: object) -> bool:
        return self.index is not None and slug in self.index

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else 0

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one whole line, straight to the OS (no user-space buffer).

        The record counts as stored only once its whole line is in the file. When a write fails,
        what it wrote is cut off again and ``DatasetWriteError`` is raised, now and for every
        later record (the run must stop).
        """
        if self._fd is None or self.index is None:
            raise RuntimeError(f"dataset {self.path} is not open")
        if self.failure is not None:
            raise self.failure
        data = memoryview(encode_line(record))
        start = -1
        try:
            start = os.fstat(self._fd).st_size
            while data:
                written = os.write(self._fd, data)
                if written <= 0:
                    raise OSError(errno.EIO, "the write made no progress")
                data = data[written:]
        except OSError as error:
            self.failure = self._write_failed(self._fd, error, start)
            raise self.failure from None
        slug = str(record["slug"])
        self.index.add(slug)
        self.owed.pop(slug, None)

    def _write_failed(self, fd: int, error: OSError, start: int) -> DatasetWriteError:
        """Cut the dataset back to ``start``, its size before the failed write."""
        outcome = ""
        if start >= 0:
            try:
                os.ftruncate(fd, start)
            except OSError as cut_error:
                self._torn_from = start
                outcome = (
                    f"; what it wrote could not be cut off ({cut_error}):"
                    " the next run moves it aside"
                )
        return DatasetWriteError(f"writing {self.path} failed ({error}){outcome}")

    def owe(self, slug: str) -> None:
        """Remember an article this run could not read or store: the next runs ask again."""
        if slug not in self:
            self.owed[slug] = self.owed.get(slug, 0) + 1

    def give_up(self, slug: str) -> None:
        """Stop asking for an article that failed too many runs."""
        self.owed.pop(slug, None)

    def mark_walked(self) -> None:
        """This run has read the section down to its end, or to pages already stored."""
        self.walked_now = True

    def _write_state(self, *, walked: bool, owed: Mapping[str, int]) -> None:
        """Replace the state file atomically (a temporary file, fsync, rename, fsync the folder)."""
        state: dict[str, Any] = {}
        if self.identity is not None:
            state.update(edition=self.identity.edition, host=self.identity.host)
        state.update(walked=walked, owed=dict(owed))
        partial = self.state_path.with_name(self.state_path.name + ".tmp")
        try:
            with partial.open("w", encoding="utf-8") as out:
                out.write(json.dumps(state, ensure_ascii=False, indent=1) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.state_path)
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise
        fsync_directory(self.state_path.parent)

    def close(self, *, finished: bool = True) -> list[str]:
        """Save the index and state, close the file and release the lock; returns what could
        not be saved, one sentence each (the next run recovers from the dataset and the section).

        ``finished``: the run ended well (Scrapy's ``finished``); only then can it be ``walked``.
        """
        problems = []
        if self._fd is not None:
            try:
                os.fsync(self._fd)  # the index must never cover bytes a power cut could lose
            except OSError as error:
                problems.append(f"the dataset {self.path} could not be synced to disk ({error})")
            os.close(self._fd)
            self._fd = None
            if self.index is not None:
                try:
                    self.index.save(covered=self._torn_from)
                except OSError as error:
                    problems.append(
                        f"the index {self.index_path} could not be saved ({error}):"
                        " the next run reads the dataset again"
                    )
            walked = finished and self.walked_now and self.failure is None
            try:
                self._write_state(walked=walked, owed=self.owed)
            except OSError as error:
                problems.append(
                    f"the run state {self.state_path} could not be saved ({error}):"
                    " the next run reads the whole section"
                )
        self._release()
        return problems

    def _release(self) -> None:
        for descriptor in (self._fd, self._lock_fd):
            if descriptor is not None:
                os.close(descriptor)
        self._fd = self._lock_fd = None
