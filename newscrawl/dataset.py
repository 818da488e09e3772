"""The JSONL dataset: one complete JSON article per line, and the slugs it already holds."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Characters that json.dumps(ensure_ascii=False) leaves raw but str.splitlines() breaks on.
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


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


class Dataset:
    """Append-only JSONL file with the set of slugs it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.slugs: set[str] = set()
        self._fd: int | None = None

    def open(self) -> None:
        """Create the file's directory, read the slugs already stored, open for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            with self.path.open("rb") as stored:
                for line in stored:
                    slug = json.loads(line).get("slug")
                    if isinstance(slug, str):
                        self.slugs.add(slug)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __contains__(self, slug: object) -> bool:
        return slug in self.slugs

    def __len__(self) -> int:
        return len(self.slugs)

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one whole line, straight to the OS (no user-space buffer)."""
        if self._fd is None:
            raise RuntimeError(f"dataset {self.path} is not open")
        data = memoryview(encode_line(record))
        while data:
            written = os.write(self._fd, data)
            data = data[written:]
        self.slugs.add(str(record["slug"]))

    def close(self) -> None:
        """Close the file (every line is already with the OS)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
