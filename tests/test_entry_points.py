"""Every ``python -m newscrawl.*`` entry point answers ``--help`` and does nothing else."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.schema import SCHEMA_PATH, schema_json
from tests.conftest import ROOT


def entry_points() -> list[str]:
    """The modules of the package that run as ``python -m``: a ``__main__`` guard or file."""
    modules = []
    for path in sorted((ROOT / "newscrawl").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            modules.append(".".join(parts[:-1]))
        elif 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"):
            modules.append(".".join(parts))
    return modules


def run_module(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_entry_points_are_found() -> None:
    assert {"newscrawl.demo", "newscrawl.schema", "newscrawl.replica"} <= set(entry_points())


@pytest.mark.parametrize("module", entry_points())
def test_help_exits_0_and_creates_nothing(module: str, tmp_path: Path) -> None:
    result = run_module(module, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m {module} ")
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_schema_writes_the_schema_file_the_readme_names(tmp_path: Path) -> None:
    result = run_module("newscrawl.schema", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"wrote {SCHEMA_PATH}\n")
    assert (tmp_path / "schema" / "article.schema.json").read_text(
        encoding="utf-8"
    ) == schema_json()
    assert (ROOT / SCHEMA_PATH).read_text(encoding="utf-8") == schema_json()


def test_schema_prints_it_when_asked(tmp_path: Path) -> None:
    result = run_module("newscrawl.schema", "--print", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, schema_json())
    assert list(tmp_path.iterdir()) == []


def test_readme_names_the_schema_command() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"`{SCHEMA_PATH}`, written by `python -m newscrawl.schema`" in readme


def test_building_the_package_gives_no_warning(tmp_path: Path) -> None:
    # setuptools used to warn three times that project.license as a table is deprecated.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
         "--no-index", "-v", "-w", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert re.findall(r"\w+Warning\b.*|^.*!!$", output, re.M) == []
    assert [wheel.name for wheel in tmp_path.iterdir()] == ["newscrawl-0.1.0-py3-none-any.whl"]


def test_git_ignores_what_running_the_project_writes() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    written = [
        ".venv/bin/python",
        ".scrapy/httpcache/x",
        "data/caliber_world.jsonl",
        "setup.py",
        "newscrawl.egg-info/PKG-INFO",
        "build/lib/x",
        "newscrawl/__pycache__/x.pyc",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *written],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.splitlines() == written
