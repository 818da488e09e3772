"""The dataset file, its slug index, repairs, failed writes, the lock, its state and the schema."""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from newscrawl.dataset import (
    Dataset,
    DatasetLockedError,
    DatasetMismatchError,
    DatasetUnwritableError,
    DatasetWriteError,
    Identity,
    Repair,
    dataset_path,
    encode_line,
    repair_tail,
)
from newscrawl.items import FIELDS
from newscrawl.schema import ARTICLE_SCHEMA, schema_errors, schema_json
from newscrawl.state import HEADER, SlugIndex, default_index_path
from tests.conftest import PAGES, load_json, read_jsonl, run_state

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


def test_a_whole_last_record_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_dataset(path, ["a", "b"])
    whole = path.read_bytes()
    path.write_bytes(whole[:-1])
    opened = Dataset(path)
    opened.open()
    last = len(encode_line(record("b"))) - 1
    assert opened.repair == Repair(0, tmp_path / "out.jsonl.rejected", completed_bytes=last)
    assert "b" in opened and opened.index is not None and opened.index.problem is None
    opened.close()
    assert path.read_bytes() == whole
    assert not (tmp_path / "out.jsonl.rejected").exists()


# --- Failed writes: nothing counted as stored unless its whole line is in the file. ---


class DiskFull:
    """``os.write`` on a disk with ``room`` bytes left: a write that does not fit writes what
    fits, the next fails with ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.pwrite(fd, bytes(data[: self.room]), os.fstat(fd).st_size)
        self.room -= written
        return written


def test_a_failed_write_is_cut_off_and_the_dataset_refuses_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.jsonl"
    dataset = Dataset(path)
    dataset.open()
    dataset.append(record("a"))
    before = path.read_bytes()
    disk = DiskFull(50)
    monkeypatch.setattr("newscrawl.dataset.os.write", disk)
    message = f"writing {path} failed ([Errno 28] No space left on device)"
    with pytest.raises(DatasetWriteError) as failed:
        dataset.append(record("b"))
    assert str(failed.value) == message
    assert path.read_bytes() == before  # the 50 bytes written are cut off again
    disk.room = 10**6  # the disk frees: still nothing may be glued behind a torn line
    with pytest.raises(DatasetWriteError, match="No space left"):
        dataset.append(record("c"))
    assert path.read_bytes() == before
    assert ("a" in dataset, "b" in dataset, "c" in dataset) == (True, False, False)
    dataset.mark_walked()
    assert dataset.close(finished=True) == []
    state = json.loads((tmp_path / "out.jsonl.state.json").read_text(encoding="utf-8"))
    assert state["walked"] is False
    index = SlugIndex.load(path)
    assert ("a" in index, "b" in index, index.problem, index.caught_up_lines) == (
        True,
        False,
        None,
        0,
    )


def test_a_torn_write_that_cannot_be_cut_off_is_moved_aside_by_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.jsonl"
    dataset = Dataset(path)
    dataset.open()
    dataset.append(record("a"))
    before = path.read_bytes()

    def no_truncate(fd: int, length: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr("newscrawl.dataset.os.write", DiskFull(50))
    monkeypatch.setattr("newscrawl.dataset.os.ftruncate", no_truncate)
    with pytest.raises(DatasetWriteError) as failed:
        dataset.append(record("b"))
    assert str(failed.value) == (
        f"writing {path} failed ([Errno 28] No space left on device); what it wrote could not"
        " be cut off ([Errno 5] Input/output error): the next run moves it aside"
    )
    dataset.close(finished=False)
    assert len(path.read_bytes()) == len(before) + 50
    monkeypatch.undo()
    again = Dataset(path)
    again.open()
    assert again.repair is not None and again.repair.rejected_bytes == 50
    assert again.index is not None and again.index.problem is None
    assert ("a" in again, "b" in again) == (True, False)
    again.close()
    assert path.read_bytes() == before


# --- The files of a dataset belong to its real path; one that cannot be written says so. ---


def test_a_symlinked_path_shares_the_real_datasets_lock_and_index(tmp_path: Path) -> None:
    real = tmp_path / "real" / "out.jsonl"
    real.parent.mkdir()
    (tmp_path / "link.jsonl").symlink_to(real)
    (tmp_path / "linked-dir").symlink_to(real.parent)
    first = Dataset(real)
    first.open()
    for other in (tmp_path / "link.jsonl", tmp_path / "linked-dir" / "out.jsonl"):
        with pytest.raises(DatasetLockedError, match=f"another crawl is writing {real} "):
            Dataset(other).open()
    first.append(record("a"))
    first.close()
    second = Dataset(tmp_path / "link.jsonl")
    second.open()
    assert "a" in second and second.index_path == real.with_name("out.jsonl.index")
    second.append(record("b"))
    second.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.jsonl", "linked-dir", "real"]
    assert [item["slug"] for item in read_jsonl(real)] == ["a", "b"]


def test_a_dataset_that_is_a_directory_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.mkdir()
    with pytest.raises(DatasetUnwritableError) as failed:
        Dataset(path).open()
    assert str(failed.value) == (
        f"cannot write the dataset {path} ([Errno 21] Is a directory: '{path}');"
        " this run stops without writing"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_a_dataset_under_a_file_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetUnwritableError, match=r"\[Errno 17\] File exists"):
        Dataset(tmp_path / "file" / "out.jsonl").open()


@pytest.mark.parametrize("target", ["out.jsonl", "out.jsonl.lock"])
def test_a_read_only_dataset_or_folder_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """A read-only file system (as root, permissions cannot make one: EROFS is simulated)."""
    path = tmp_path / "out.jsonl"
    if target == "out.jsonl":
        path.write_bytes(encode_line(record("a")))
    real_open = os.open

    def read_only(name: Any, flags: int, *args: Any) -> int:
        if str(name) == str(tmp_path / target) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(name))
        return real_open(name, flags, *args)

    monkeypatch.setattr("newscrawl.dataset.os.open", read_only)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DatasetUnwritableError) as failed:
        Dataset(path).open()
    assert str(failed.value) == (
        f"cannot write the dataset {path} ([Errno 30] Read-only file system:"
        f" '{tmp_path / target}'); this run stops without writing"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- The run state survives damage. ---


UNDECODABLE = "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (b'{"walked": true, "owed": {"a": 1', ["not JSON"]),
        (b"[1, 2]", ["not a JSON object"]),
        (b"\xff\xfe", [f"unreadable ({UNDECODABLE})"]),
        (
            b'{"walked": "yes", "owed": [1, 2]}',
            ["walked is not true or false", "owed is not an object"],
        ),
        (
            b'{"walked": 1, "owed": {"a": "2", "b": true, "c": 0, "d": 2}}',
            ["walked is not true or false", "owed: 3 of 4 entries are not a number of runs"],
        ),
        (b'{"edition": 5, "host": "caliber.az"}', ["edition and host are not both text"]),
    ],
)
def test_a_damaged_run_state_is_reset_to_defaults(
    tmp_path: Path, text: bytes, problems: list[str]
) -> None:
    path = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.state.json").write_bytes(text)
    dataset = Dataset(path)
    dataset.open(Identity("en", "caliber.az"))
    assert dataset.state_problems == problems
    assert dataset.walked is False
    assert dataset.owed == ({"d": 2} if b'"d": 2' in text else {})
    dataset.close(finished=False)
    state = json.loads((tmp_path / "out.jsonl.state.json").read_text(encoding="utf-8"))
    assert state["edition"] == "en" and state["host"] == "caliber.az"


# --- A dataset knows which edition of which host it holds. ---


def test_a_dataset_records_its_edition_and_host_and_refuses_another(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    first = Dataset(path)
    first.open(Identity.of("en", "https://caliber.az"))
    first.append(record("a"))
    first.close()
    state_file = tmp_path / "out.jsonl.state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    assert (state["edition"], state["host"]) == ("en", "caliber.az")
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for crawl, shown in [
        (Identity.of("en", "http://127.0.0.1:8000"), "edition en of 127.0.0.1"),
        (Identity.of("ru", "https://caliber.az"), "edition ru of caliber.az"),
    ]:
        with pytest.raises(DatasetMismatchError) as refused:
            Dataset(path).open(crawl)
        assert str(refused.value) == (
            f"{path} holds edition en of caliber.az; this crawl is {shown}"
            " — use -s JSONL_PATH=… for another dataset"
        )
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files
    same_site = Dataset(path)
    same_site.open(Identity.of("en", "https://caliber.az:443"))  # the port does not matter
    same_site.close()


def test_a_dataset_without_a_recorded_identity_takes_its_first_records(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(encode_line(record("a")))  # written before datasets recorded theirs
    with pytest.raises(DatasetMismatchError, match=r"holds edition en of caliber\.az; this crawl"):
        Dataset(path).open(Identity.of("en", "http://127.0.0.1:8000"))
    dataset = Dataset(path)
    dataset.open(Identity.of("en", "https://caliber.az"))
    dataset.close()
    assert run_state(path)["host"] == "caliber.az"


def test_a_dataset_with_nothing_to_tell_takes_the_first_crawls_identity(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"slug": "a"}\n')
    dataset = Dataset(path)
    dataset.open(Identity.of("ru", "http://127.0.0.1:8000"))
    dataset.close()
    assert (run_state(path)["edition"], run_state(path)["host"]) == ("ru", "127.0.0.1")


def project_settings(**cmdline: str) -> Settings:
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_each_edition_has_its_own_dataset_unless_jsonl_path_is_given() -> None:
    default = project_settings()
    assert dataset_path(default, "en") == Path("data/caliber_world.jsonl")
    assert dataset_path(default, "ru") == Path("data/caliber_world_ru.jsonl")
    given = project_settings(JSONL_PATH="data/caliber_world.jsonl")
    assert dataset_path(given, "ru") == Path("data/caliber_world.jsonl")
    elsewhere = project_settings(JSONL_PATH="/srv/news/world.jsonl")
    assert dataset_path(elsewhere, "ru") == Path("/srv/news/world.jsonl")
    changed = project_settings()
    changed.set("JSONL_PATH", "/srv/world.jsonl", priority="project")
    assert dataset_path(changed, "ru") == Path("/srv/world.jsonl")


def test_what_cannot_be_saved_at_close_is_reported_and_recovered_from(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    dataset = Dataset(path)
    dataset.open(Identity("en", "caliber.az"))
    dataset.append(record("a"))
    dataset.owe("b")
    dataset.mark_walked()
    state_file, index_file = tmp_path / "out.jsonl.state.json", default_index_path(path)
    state_file.unlink()
    for blocked in (state_file, index_file):
        blocked.mkdir()  # an unwritable place: the rename onto it fails
    problems = dataset.close()
    assert [problem.split(" (")[0] for problem in problems] == [
        f"the index {index_file} could not be saved",
        f"the run state {state_file} could not be saved",
    ]
    assert problems[0].endswith("): the next run reads the dataset again")
    assert problems[1].endswith("): the next run reads the whole section")
    assert "[Errno 21] Is a directory" in problems[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.jsonl",
        "out.jsonl.index",
        "out.jsonl.lock",
        "out.jsonl.state.json",
    ]
    for blocked in (state_file, index_file):
        blocked.rmdir()
    again = Dataset(path)
    again.open(Identity("en", "caliber.az"))
    assert again.index is not None and again.index.caught_up_lines == 1
    assert ("a" in again, again.walked, again.owed) == (True, False, {})
    again.close()


def test_a_long_torn_tail_is_found_in_linear_time(tmp_path: Path) -> None:
    # Each step back used to read the whole tail again: quadratic in a tail with no newline.
    path = tmp_path / "w.jsonl"
    path.write_bytes(b'{"slug": "a"}\n' + b"x" * (32 << 20))
    started = time.process_time()
    repair = repair_tail(path, tmp_path / "w.jsonl.rejected")
    assert time.process_time() - started < 5.0  # a generous ceiling, not a benchmark
    assert repair is not None and repair.rejected_bytes == 32 << 20
    assert path.read_bytes() == b'{"slug": "a"}\n'
