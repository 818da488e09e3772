"""Which articles the dataset already holds: a sorted file of 64-bit slug hashes beside it.

The index is a cache of the dataset: missing or unreadable, it is rebuilt from the dataset;
behind it (lines appended after its last save, e.g. by a killed run), it catches up from the tail.
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

MAGIC = b"NCIDX001"
# magic, dataset bytes covered, dataset inode, number of hashes
HEADER = struct.Struct("<8sQQQ")
_SLUG_RE = re.compile(rb'"slug": "([^"\\]*)"')
_CHUNK = 1 << 20


def slug_hash(slug: str) -> int:
    """A stable 64-bit hash of a slug (collisions: about 1 in 3·10⁷ at a million articles).

    >>> slug_hash("a-b") == slug_hash("a-b") != slug_hash("a-c")
    True
    """
    return int.from_bytes(blake2b(slug.encode("utf-8"), digest_size=8).digest(), "little")


def line_slug(line: bytes) -> str | None:
    """The slug of one dataset line, or ``None`` when the line has none.

    >>> line_slug(b'{"url": "u", "slug": "a-b", "language": "en"}')
    'a-b'
    >>> line_slug(b'{"slug":"x\\\\u00e9"}'), line_slug(b"not json") is None
    ('x\\xe9', True)
    """
    match = _SLUG_RE.search(line)
    if match is not None:
        return match.group(1).decode("utf-8")
    try:
        slug = json.loads(line).get("slug")
    except (ValueError, AttributeError):
        return None
    return slug if isinstance(slug, str) else None


def default_index_path(dataset_path: Path) -> Path:
    """Where the index of a dataset lives unless a setting says otherwise: beside it."""
    return dataset_path.with_name(dataset_path.name + ".index")


class SlugIndex:
    """Membership of slugs in the dataset, small enough for millions of articles (8 B each)."""

    def __init__(self, dataset_path: Path, index_path: Path) -> None:
        self.dataset_path = dataset_path
        self.index_path = index_path
        self._stored = array("Q")
        self._added: set[int] = set()
        self._covered = 0
        self._inode = 0
        self.rebuilt = False
        self.caught_up_lines = 0

    @classmethod
    def load(cls, dataset_path: Path, index_path: Path | None = None) -> SlugIndex:
        """Load the index of ``dataset_path`` and bring it in step with the dataset."""
        index = cls(dataset_path, index_path or default_index_path(dataset_path))
        index._read()
        index._catch_up()
        return index

    def _read(self) -> None:
        try:
            with self.index_path.open("rb") as stored:
                header = stored.read(HEADER.size)
                magic, covered, inode, count = HEADER.unpack(header)
                hashes = array("Q")
                hashes.frombytes(stored.read(count * hashes.itemsize))
        except (OSError, struct.error):
            self.rebuilt = True
            return
        if magic != MAGIC or len(hashes) != count:
            self.rebuilt = True
            return
        self._stored, self._covered, self._inode = hashes, covered, inode

    def _catch_up(self) -> None:
        """Add the slugs of dataset lines the index has not seen yet."""
        try:
            stat = self.dataset_path.stat()
        except FileNotFoundError:
            self._covered, self._inode = 0, 0
            return
        if stat.st_ino != self._inode or stat.st_size < self._covered:
            # A new or rotated dataset: what the index holds stays known, the file is read anew.
            self._covered = 0
        with self.dataset_path.open("rb") as dataset:
            dataset.seek(self._covered)
            tail = b""
            while chunk := dataset.read(_CHUNK):
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                for line in lines:
                    slug = line_slug(line)
                    if slug is not None:
                        self.add(slug)
                        self.caught_up_lines += 1
            self._covered = dataset.tell() - len(tail)
        self._inode = stat.st_ino

    def __contains__(self, slug: object) -> bool:
        if not isinstance(slug, str):
            return False
        key = slug_hash(slug)
        if key in self._added:
            return True
        position = bisect_left(self._stored, key)
        return position < len(self._stored) and self._stored[position] == key

    def __len__(self) -> int:
        return len(self._stored) + len(self._added)

    def add(self, slug: str) -> None:
        """Remember that the dataset holds ``slug``."""
        if slug not in self:
            self._added.add(slug_hash(slug))

    def save(self) -> None:
        """Write the index atomically, covering the dataset as it is now."""
        merged = array("Q", heapq.merge(self._stored, sorted(self._added)))
        try:
            stat = self.dataset_path.stat()
            covered, inode = stat.st_size, stat.st_ino
        except FileNotFoundError:
            covered, inode = 0, 0
        partial = self.index_path.with_name(self.index_path.name + ".tmp")
        with partial.open("wb") as out:
            out.write(HEADER.pack(MAGIC, covered, inode, len(merged)))
            out.write(merged.tobytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.index_path)
        self._stored, self._added = merged, set()
        self._covered, self._inode = covered, inode
