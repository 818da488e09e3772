"""The JSONL dataset: one complete JSON article per line, and the slugs it already holds."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscrawl.state import SlugIndex, default_index_path

# Characters that json.dumps(ensure_ascii=False) leaves raw but str.splitlines() breaks on.
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TAIL_SCAN = 1 << 16


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


class DatasetLockedError(RuntimeError):
    """Another crawl is appending to the same dataset."""


@dataclass(frozen=True)
class Repair:
    """A half-written last line found at start, and where it was moved."""

    rejected_bytes: int
    rejected_path: Path


def repair_tail(path: Path, rejected_path: Path) -> Repair | None:
    """Move a last line without its newline (a killed writer, a full disk) to ``rejected_path``.

    The dataset is cut back to its last whole line; the bytes are appended to the rejected file
    on a line of their own, so nothing is silently dropped and nothing broken is kept.
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
        start = max(0, size - _TAIL_SCAN)
        while True:
            dataset.seek(start)
            block = dataset.read(size - start)
            cut = block.rfind(b"\n")
            if cut >= 0 or start == 0:
                break
            start = max(0, start - _TAIL_SCAN)
        keep = start + cut + 1
        dataset.seek(keep)
        rejected = dataset.read()
        with rejected_path.open("ab") as aside:
            aside.write(rejected + b"\n")
            aside.flush()
            os.fsync(aside.fileno())
        dataset.truncate(keep)
        dataset.flush()
        os.fsync(dataset.fileno())
    return Repair(len(rejected), rejected_path)


class Dataset:
    """The append-only JSONL file, its lock, the index of the slugs it holds, and its run state.

    Files beside ``path``: ``.index`` (see ``newscrawl.state``), ``.lock`` (one writer at a time),
    ``.rejected`` (half-written lines found at start), ``.state.json``: ``owed``, the articles
    whose page failed, by slug, with how many runs tried them (the next run asks again), and
    ``walked``, whether the last run ended well having walked the section down to its end or to
    pages it had already stored (only then may the next run stop at stored pages).
    """

    def __init__(self, path: Path, index_path: Path | None = None) -> None:
        self.path = path
        self.index_path = index_path or default_index_path(path)
        self.rejected_path = path.with_name(path.name + ".rejected")
        self.lock_path = path.with_name(path.name + ".lock")
        self.state_path = path.with_name(path.name + ".state.json")
        self.owed: dict[str, int] = {}
        self.walked = False
        self.walked_now = False
        self.index: SlugIndex | None = None
        self.repair: Repair | None = None
        self._fd: int | None = None
        self._lock_fd: int | None = None

    def open(self) -> None:
        """Lock, repair a torn last line, load the index and state, and open for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise DatasetLockedError(
                f"another crawl is writing {self.path} (lock {self.lock_path})"
            ) from None
        self.repair = repair_tail(self.path, self.rejected_path)
        self.index = SlugIndex.load(self.path, self.index_path)
        self._read_state()
        # Until this run ends well, the dataset may have holes: a killed run leaves walked false.
        self._write_state(walked=False)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __contains__(self, slug: object) -> bool:
        return self.index is not None and slug in self.index

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else 0

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one whole line, straight to the OS (no user-space buffer)."""
        if self._fd is None or self.index is None:
            raise RuntimeError(f"dataset {self.path} is not open")
        data = memoryview(encode_line(record))
        while data:
            written = os.write(self._fd, data)
            data = data[written:]
        self.index.add(str(record["slug"]))
        self.owed.pop(str(record["slug"]), None)

    def owe(self, slug: str) -> None:
        """Remember an article whose page could not be read this run."""
        if slug not in self:
            self.owed[slug] = self.owed.get(slug, 0) + 1

    def give_up(self, slug: str) -> None:
        """Stop asking for an article that failed too many runs."""
        self.owed.pop(slug, None)

    def mark_walked(self) -> None:
        """This run has read the section down to its end, or to pages already stored."""
        self.walked_now = True

    def _read_state(self) -> None:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = {}
        if not isinstance(state, dict):
            state = {}
        owed = state.get("owed")
        self.owed = {
            slug: runs
            for slug, runs in (owed.items() if isinstance(owed, dict) else ())
            if isinstance(runs, int) and slug not in self
        }
        self.walked = state.get("walked") is True

    def _write_state(self, *, walked: bool) -> None:
        state = {"walked": walked, "owed": self.owed}
        partial = self.state_path.with_name(self.state_path.name + ".tmp")
        partial.write_text(json.dumps(state, ensure_ascii=False, indent=1) + "\n", "utf-8")
        os.replace(partial, self.state_path)

    def close(self, *, finished: bool = True) -> None:
        """Save the index and state, close the file and release the lock.

        ``finished``: the run ended well (Scrapy's ``finished``); only then can it be ``walked``.
        """
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            if self.index is not None:
                self.index.save()
            self._write_state(walked=finished and self.walked_now)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
