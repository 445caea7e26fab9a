"""The Python linter, as `make test` runs it before the tests: `ruff check` and `ruff format --check`,
configured in pyproject.toml ([tool.ruff]), pinned with the test tools."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from local import stack

RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")


def _ruff(*args: str, cwd=stack.ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([RUFF, *args], capture_output=True, text=True, cwd=cwd)


def test_make_test_runs_ruff_check_and_format_check():
    makefile = (stack.ROOT / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "$(BIN)/ruff check ." in recipe and "$(BIN)/ruff format --check ." in recipe
    pyproject = (stack.ROOT / "pyproject.toml").read_text()
    pin = re.search(r'"ruff==([0-9.]+)"', pyproject)
    assert pin and _ruff("--version").stdout.split()[-1] == pin.group(1)


def test_the_tree_passes_ruff():
    for args in (["check", "."], ["format", "--check", "."]):
        result = _ruff(*args)
        assert result.returncode == 0, f"ruff {' '.join(args)}:\n{result.stdout}{result.stderr}"


def test_ruff_can_fail(tmp_path):
    (tmp_path / "pyproject.toml").write_text((stack.ROOT / "pyproject.toml").read_text())
    (tmp_path / "bad.py").write_text("import os\nx=1\n")
    assert _ruff("check", ".", cwd=tmp_path).returncode == 1  # os imported and unused
    assert _ruff("format", "--check", ".", cwd=tmp_path).returncode == 1  # x=1 is not formatted
