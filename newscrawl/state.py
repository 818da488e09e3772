"""Which articles the dataset already holds: a sorted file of 64-bit slug hashes beside it.

The index is a cache of the dataset: missing, damaged or not matching the dataset, it is rebuilt
from the dataset; behind it (lines appended after its last save), it catches up from the tail.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import struct
from array import array
from bisect import bisect_left
from hashlib import blake2b
from pathlib import Path

MAGIC = b"NCIDX002"
# magic, dataset bytes covered, dataset inode, number of hashes, checksum of all of these
HEADER = struct.Struct("<8sQQQ16s")
_FIELDS = struct.Struct("<QQQ")
_HASH_SIZE = array("Q").itemsize
# A line as the writer makes it: ``{"url": "…", "slug": "…", …}`` (or ``{"slug": "…"…``).
_WHOLE_START = re.compile(rb'\{(?:"url": "[^"\\]*", )?"slug": "([^"\\]*)"')
_CHUNK = 1 << 20


def slug_hash(slug: str) -> int:
    """A stable 64-bit hash of a slug (collisions: about 1 in 3·10⁷ at a million articles).

    >>> slug_hash("a-b") == slug_hash("a-b") != slug_hash("a-c")
    True
    """
    return int.from_bytes(blake2b(slug.encode("utf-8"), digest_size=8).digest(), "little")


def line_slug(line: bytes) -> str | None:
    """The slug of one dataset line (without its newline), or ``None`` unless the line is a JSON
    object with a string ``slug``.

    >>> line_slug(b'{"url": "u", "slug": "a-b", "language": "en"}')
    'a-b'
    >>> line_slug(b'{"slug":"x\\\\u00e9"}'), line_slug(b"not json") is None
    ('x\\xe9', True)

    A line torn by a failed write and glued to the next record is not whole, though it names a
    slug (twice, here):

    >>> line_slug(b'{"url": "u", "slug": "a", "head{"url": "v", "slug": "b", "body": ""}') is None
    True
    """
    # Fast path: the writer's own shape, with no second record starting inside the line (a raw
    # '{"' after the start only occurs where a torn write glued two records, or in a rare text
    # ending in "{", which the JSON parser below then judges).
    match = _WHOLE_START.match(line)
    if match is not None and line.endswith(b"}") and line.find(b'{"', 1) < 0:
        try:
            return match.group(1).decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    slug = record.get("slug") if isinstance(record, dict) else None
    return slug if isinstance(slug, str) else None


def default_index_path(dataset_path: Path) -> Path:
    """Where the index of a dataset lives unless a setting says otherwise: beside it."""
    return dataset_path.with_name(dataset_path.name + ".index")


def fsync_directory(path: Path) -> None:
    """Make a rename in ``path`` (a directory) durable; ignored where directories cannot sync."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _checksum(fields: bytes, hashes: bytes | memoryview) -> bytes:
    digest = blake2b(fields, digest_size=16)
    digest.update(hashes)
    return digest.digest()


class SlugIndex:
    """Membership of slugs in the dataset, small enough for millions of articles (8 B each).

    After ``load``: ``problem`` says why a saved index was not used (``None`` when it was, or when
    there was none), ``rebuilt`` whether the dataset was read from its start, ``caught_up_lines``
    how many of its lines were added, ``bad_lines`` the byte offsets of lines that are not whole
    records (not counted as stored), ``kept_for_new_file`` how many articles the index remembers
    for an empty or missing dataset (a rotation).
    """

    def __init__(self, dataset_path: Path, index_path: Path) -> None:
        self.dataset_path = dataset_path
        self.index_path = index_path
        self._stored = array("Q")
        self._added: set[int] = set()
        self._covered = 0
        self._inode = 0
        self.rebuilt = False
        self.problem: str | None = None
        self.caught_up_lines = 0
        self.bad_lines: list[int] = []
        self.kept_for_new_file = 0
        self.changed = False

    @classmethod
    def load(cls, dataset_path: Path, index_path: Path | None = None) -> SlugIndex:
        """Load the index of ``dataset_path`` and bring it in step with the dataset."""
        index = cls(dataset_path, index_path or default_index_path(dataset_path))
        index._read()
        index._catch_up()
        return index

    def _read(self) -> None:
        try:
            raw = self.index_path.read_bytes()
        except FileNotFoundError:
            self._forget(None)
            return
        except OSError as error:
            self._forget(f"unreadable ({error})")
            return
        self._forget(self._check(raw))
        if self.problem is not None:
            return
        _, covered, inode, _, _ = HEADER.unpack_from(raw)
        self._stored.frombytes(raw[HEADER.size :])
        self._covered, self._inode, self.rebuilt = covered, inode, False

    @staticmethod
    def _check(raw: bytes) -> str | None:
        """Why the bytes of a saved index cannot be used, or ``None``."""
        if raw[: len(MAGIC)] != MAGIC:
            older = raw.startswith(b"NCIDX")
            return "written by an older version" if older else "not an index (unknown header)"
        if len(raw) < HEADER.size:
            return f"cut short ({len(raw)} bytes, shorter than its header)"
        _, covered, inode, count, checksum = HEADER.unpack_from(raw)
        if len(raw) != HEADER.size + count * _HASH_SIZE:
            return f"{len(raw)} bytes, not the {HEADER.size + count * _HASH_SIZE} its count needs"
        hashes = memoryview(raw)[HEADER.size :]
        if _checksum(_FIELDS.pack(covered, inode, count), hashes) != checksum:
            return "its checksum does not match (entries changed or out of order)"
        return None

    def _forget(self, problem: str | None) -> None:
        """Start from an empty index, to be filled from the whole dataset."""
        self._stored, self._added = array("Q"), set()
        self._covered, self._inode = 0, 0
        self.rebuilt, self.problem = True, problem

    def _catch_up(self) -> None:
        """Check the index against the dataset, then add the lines it has not seen yet."""
        try:
            stat = self.dataset_path.stat()
            size, inode = stat.st_size, stat.st_ino
        except FileNotFoundError:
            size, inode = 0, 0
        if not self.rebuilt:
            problem = self._mismatch(size, inode)
            if problem is not None:
                self._forget(problem)
        if size == 0:
            # A new or emptied dataset (a rotation): what the index holds stays known.
            self.kept_for_new_file = len(self)
            self.changed = self._covered != 0 or self._inode != inode
            self._covered, self._inode = 0, inode
            return
        if self._covered == size and self._inode == inode:
            return
        self.changed = True
        self._inode = inode
        self._scan(self._covered)

    def _mismatch(self, size: int, inode: int) -> str | None:
        """Why a saved index does not describe the dataset as it is, or ``None``."""
        if size == 0 or self._covered == 0:
            return None
        if inode != self._inode:
            return "it was saved for another file (the dataset was replaced)"
        if size < self._covered:
            return f"it covers {self._covered} bytes but the dataset holds {size}"
        with self.dataset_path.open("rb") as dataset:
            dataset.seek(self._covered - 1)
            if dataset.read(1) != b"\n":
                return f"the dataset's byte {self._covered - 1} is not the end of a line"
        return None

    def _scan(self, start: int) -> None:
        """Index the whole lines from byte ``start`` on; a last line without newline is left."""
        position = start
        with self.dataset_path.open("rb") as dataset:
            dataset.seek(start)
            tail = b""
            while chunk := dataset.read(_CHUNK):
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                for line in lines:
                    slug = line_slug(line)
                    if slug is None:
                        self.bad_lines.append(position)
                    else:
                        self.add(slug)
                        self.caught_up_lines += 1
                    position += len(line) + 1
        self._covered = position

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and self._has(slug_hash(slug))

    def _has(self, key: int) -> bool:
        if key in self._added:
            return True
        position = bisect_left(self._stored, key)
        return position < len(self._stored) and self._stored[position] == key

    def __len__(self) -> int:
        return len(self._stored) + len(self._added)

    def add(self, slug: str) -> None:
        """Remember that the dataset holds ``slug``."""
        key = slug_hash(slug)
        if not self._has(key):
            self._added.add(key)

    def save(self, covered: int | None = None) -> None:
        """Write the index atomically, covering the dataset as it is now (or its first
        ``covered`` bytes, when what follows is not whole)."""
        merged = array("Q", heapq.merge(self._stored, sorted(self._added)))
        try:
            stat = self.dataset_path.stat()
            size, inode = stat.st_size, stat.st_ino
        except FileNotFoundError:
            size, inode = 0, 0
        size = size if covered is None else min(covered, size)
        hashes = merged.tobytes()
        fields = _FIELDS.pack(size, inode, len(merged))
        partial = self.index_path.with_name(self.index_path.name + ".tmp")
        try:
            with partial.open("wb") as out:
                out.write(HEADER.pack(MAGIC, size, inode, len(merged), _checksum(fields, hashes)))
                out.write(hashes)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.index_path)
        except OSError:
            partial.unlink(missing_ok=True)
            raise
        fsync_directory(self.index_path.parent)
        self._stored, self._added = merged, set()
        self._covered, self._inode = size, inode
        self.changed = False
