"""The dataset file, its slug index, torn-line repair, the writer lock and the schema."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from newscrawl.dataset import Dataset, DatasetLockedError, encode_line, repair_tail
from newscrawl.items import FIELDS
from newscrawl.schema import ARTICLE_SCHEMA, schema_errors, schema_json
from newscrawl.state import HEADER, SlugIndex, default_index_path
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
    path.rename(tmp_path / "out-2026-11.jsonl")  # rotated: the next run starts a fresh file
    index = SlugIndex.load(path)
    assert (index.kept_for_new_file, index.problem) == (2, None)
    write_dataset(path, ["c"])
    index = SlugIndex.load(path)
    assert sorted(slug for slug in "abcd" if slug in index) == ["a", "b", "c"]
    assert path.read_bytes() == encode_line(record("c"))


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


# --- The index is a cache: anything wrong with it is found at start and it is rebuilt. ---


def swap_first_entries(raw: bytes) -> bytes:
    first, second = HEADER.size, HEADER.size + 8
    return raw[:first] + raw[second : second + 8] + raw[first:second] + raw[second + 8 :]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (swap_first_entries, "its checksum does not match (entries changed or out of order)"),
        (lambda raw: raw[:-3], "205 bytes, not the 208 its count needs"),
        (lambda raw: raw + b"\x00" * 8, "216 bytes, not the 208 its count needs"),
        (lambda raw: raw[:8] + bytes(range(7, 256, 3)), "not the"),
        (lambda raw: bytes(range(256)), "not an index (unknown header)"),
        (lambda raw: raw[:20], "cut short (20 bytes, shorter than its header)"),
        (lambda raw: b"NCIDX001" + raw[8:], "written by an older version"),
    ],
)
def test_a_damaged_index_is_found_and_rebuilt(
    tmp_path: Path, damage: Callable[[bytes], bytes], reason: str
) -> None:
    path = tmp_path / "out.jsonl"
    slugs = [f"s-{n}" for n in range(20)]
    write_dataset(path, slugs)
    index_file = default_index_path(path)
    index_file.write_bytes(damage(index_file.read_bytes()))
    index = SlugIndex.load(path)
    assert index.rebuilt and index.problem is not None and reason in index.problem
    assert (len(index), index.caught_up_lines) == (20, 20)
    assert [slug for slug in slugs if slug not in index] == []
    assert "t-1" not in index


def test_an_index_covering_more_than_the_dataset_is_rebuilt(tmp_path: Path) -> None:
    """The dataset was cut back in place (e.g. restored from an older backup): the articles it
    no longer holds must be fetched again, not remembered as stored."""
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b", "c"])
    kept = encode_line(record("a"))
    with path.open("r+b") as dataset:
        dataset.truncate(len(kept))
    index = SlugIndex.load(path)
    full = len(kept) + len(encode_line(record("b"))) + len(encode_line(record("c")))
    assert index.problem == f"it covers {full} bytes but the dataset holds {len(kept)}"
    assert [slug for slug in "abc" if slug in index] == ["a"]


def test_an_index_saved_for_another_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b", "c"])
    older = tmp_path / "restored.jsonl"
    older.write_bytes(encode_line(record("a")) + encode_line(record("b")))
    os.replace(older, path)  # a new inode
    index = SlugIndex.load(path)
    assert index.problem == "it was saved for another file (the dataset was replaced)"
    assert [slug for slug in "abc" if slug in index] == ["a", "b"]


def test_an_index_not_ending_at_a_line_end_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a"])
    covered = path.stat().st_size
    with path.open("r+b") as dataset:  # rewritten in place, longer: same inode, bigger size
        dataset.write(encode_line(record("long-slug")) + encode_line(record("x")))
    index = SlugIndex.load(path)
    assert index.problem == f"the dataset's byte {covered - 1} is not the end of a line"
    assert [slug for slug in ("a", "long-slug", "x") if slug in index] == ["long-slug", "x"]


def test_a_torn_line_in_the_middle_is_reported_and_its_articles_not_indexed(
    tmp_path: Path,
) -> None:
    """A write that failed half way, then a later write glued to it: the line names slug b (and
    c after it) but is no record; both articles must be fetched again."""
    a, b, c, d = (encode_line(record(slug)) for slug in "abcd")
    assert b'"slug": "b"' in b[:60]
    path = tmp_path / "out.jsonl"
    path.write_bytes(a + b[:60] + c + d)
    index = SlugIndex.load(path)
    assert [slug for slug in "abcd" if slug in index] == ["a", "d"]
    assert (index.bad_lines, index.caught_up_lines) == ([len(a)], 2)


def test_only_json_objects_with_a_text_slug_count_as_stored(tmp_path: Path) -> None:
    lines = [
        b'{"slug": "plain"}',
        b'{"headline": "ends in {", "slug": "brace"}',
        b'["slug", "list"]',
        b'{"slug": 5}',
        b"",
        b'{"slug": "unclosed"',
        b"[" * 100_000,
    ]
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    index = SlugIndex.load(path)
    assert [slug for slug in ("plain", "brace", "list", "unclosed") if slug in index] == [
        "plain",
        "brace",
    ]
    assert len(index.bad_lines) == 5
