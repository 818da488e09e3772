"""The dataset file, its slug index, torn-line repair, the writer lock and the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newscrawl.dataset import Dataset, DatasetLockedError, encode_line, repair_tail
from newscrawl.items import FIELDS
from newscrawl.schema import ARTICLE_SCHEMA, schema_errors, schema_json
from newscrawl.state import SlugIndex, default_index_path
from tests.conftest import PAGES, load_json

ROOT = Path(__file__).resolve().parent.parent


def record(slug: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "url": f"https://caliber.az/en/post/{slug}",
        "slug": slug,
        "language": "en",
        "section": "World",
        "headline": f"Headline {slug}",
        "published_at": "2025-11-07T11:03:00+04:00",
        "author": None,
        "cited_sources": [],
        "views": None,
        "body": "Text.",
        "image_url": None,
        "crawled_at": "2026-11-26T04:00:00Z",
    }
    base.update(fields)
    return base


def write_dataset(path: Path, slugs: list[str]) -> None:
    dataset = Dataset(path)
    dataset.open()
    for slug in slugs:
        dataset.append(record(slug))
    dataset.close()


def test_index_is_saved_beside_the_dataset_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b", "c"])
    assert default_index_path(path).exists()
    index = SlugIndex.load(path)
    assert (len(index), index.rebuilt, index.caught_up_lines) == (3, False, 0)
    assert "a" in index and "c" in index and "d" not in index


def test_missing_index_is_rebuilt_from_the_dataset(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b"])
    default_index_path(path).unlink()
    index = SlugIndex.load(path)
    assert (len(index), index.rebuilt, index.caught_up_lines) == (2, True, 2)
    assert "b" in index


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b"])
    default_index_path(path).write_bytes(b"garbage")
    index = SlugIndex.load(path)
    assert (len(index), index.rebuilt) == (2, True)


def test_index_catches_up_on_lines_appended_after_its_save(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b"])
    with path.open("ab") as dataset:  # a killed run wrote lines but never saved the index
        dataset.write(encode_line(record("c")) + encode_line(record("d")))
    index = SlugIndex.load(path)
    assert (len(index), index.rebuilt, index.caught_up_lines) == (4, False, 2)
    assert "d" in index


def test_rotated_dataset_keeps_the_memory_of_stored_articles(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b"])
    path.rename(tmp_path / "out-2026-11.jsonl")
    path.write_bytes(encode_line(record("c")))
    index = SlugIndex.load(path)
    assert sorted(slug for slug in "abcd" if slug in index) == ["a", "b", "c"]


def test_many_slugs_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"".join(encode_line(record(f"s-{n}")) for n in range(5000)))
    index = SlugIndex.load(path)
    index.save()
    again = SlugIndex.load(path)
    assert len(again) == 5000
    assert all(f"s-{n}" in again for n in range(0, 5000, 7))
    assert not any(f"t-{n}" in again for n in range(0, 5000, 7))


def test_torn_last_line_is_moved_aside_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    whole = encode_line(record("a")) + encode_line(record("b"))
    torn = encode_line(record("c"))[:37]
    path.write_bytes(whole + torn)
    repair = repair_tail(path, tmp_path / "out.jsonl.rejected")
    assert repair is not None and repair.rejected_bytes == 37
    assert path.read_bytes() == whole
    assert (tmp_path / "out.jsonl.rejected").read_bytes() == torn + b"\n"
    assert repair_tail(path, tmp_path / "out.jsonl.rejected") is None


def test_a_file_that_is_one_torn_line_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"url": "https://caliber.az/en/po')
    repair = repair_tail(path, tmp_path / "rejected")
    assert repair is not None and path.read_bytes() == b""


def test_opening_repairs_before_indexing(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a"])
    with path.open("ab") as dataset:
        dataset.write(encode_line(record("b"))[:20])
    opened = Dataset(path)
    opened.open()
    assert opened.repair is not None and "b" not in opened and "a" in opened
    opened.append(record("b"))
    opened.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["slug"] for line in lines] == ["a", "b"]


def test_second_writer_on_the_same_dataset_is_refused(tmp_path: Path) -> None:
    first = Dataset(tmp_path / "out.jsonl")
    first.open()
    with pytest.raises(DatasetLockedError, match="another crawl is writing"):
        Dataset(tmp_path / "out.jsonl").open()
    first.close()
    second = Dataset(tmp_path / "out.jsonl")
    second.open()
    second.close()


@pytest.mark.parametrize(
    "headline",
    [
        'Quotes "inside" \\ and \\"escaped\\"',
        "new\nline and\r\nCRLF",
        "sep\u2028ara\u2029tors\u0085",
        "lone \udcff surrogate",
    ],
)
def test_any_text_stays_on_one_parseable_line(tmp_path: Path, headline: str) -> None:
    path = tmp_path / "out.jsonl"
    dataset = Dataset(path)
    dataset.open()
    dataset.append(record("x", headline=headline))
    dataset.append(record("y"))
    dataset.close()
    raw = path.read_bytes()
    assert raw.count(b"\n") == 2
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["headline"] == headline
    assert json.loads(lines[1])["slug"] == "y"


def test_schema_file_is_written_from_the_code() -> None:
    assert (ROOT / "schema" / "article.schema.json").read_text(encoding="utf-8") == schema_json()
    assert ARTICLE_SCHEMA["required"] == list(FIELDS)


def test_every_expected_item_validates() -> None:
    expected = [load_json(path) for path in PAGES.glob("article-*.json")]
    for item in expected:
        assert schema_errors({**item, "crawled_at": "2026-11-26T04:00:00Z"}) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"published_at": "2025-11-07T11:03:00"}, "published_at"),
        ({"views": "96"}, "views"),
        ({"url": "https://caliber.az/en/post/x?utm_source=t"}, "url"),
        ({"language": "ru"}, "language"),
        ({"extra": 1}, "Additional properties"),
        ({"crawled_at": "2026-11-26T08:00:00+04:00"}, "crawled_at"),
    ],
)
def test_schema_rejects_what_the_table_forbids(change: dict[str, object], message: str) -> None:
    errors = schema_errors(record("x", **change))
    assert errors and message in errors[0]
