"""Locally (and in the tests) every function's code directory and the layer share one sys.path, so a
top-level module name may live in one place only: two `worker.py` files would make one function run
the other's code. Each name is also kept clear of the standard library's and of installed packages'.
(On AWS each function sees only its own directory and the layer; a clash breaks the local stack and the tests.)"""

from __future__ import annotations

import sys
from collections import defaultdict
from importlib.metadata import packages_distributions
from pathlib import Path

from local import stack


def _top_level_names(directory: Path) -> set[str]:
    modules = {p.stem for p in directory.glob("*.py")}
    packages = {p.name for p in directory.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return modules | packages


def clashes(directories: list[Path], taken: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Each top-level module name found in more than one directory, or shadowing a name already taken."""
    where: dict[str, list[str]] = defaultdict(list)
    for directory in directories:
        for name in _top_level_names(directory):
            where[name].append(str(directory.relative_to(stack.ROOT)))
    return {name: dirs for name, dirs in where.items() if len(dirs) > 1 or name in taken}


def test_every_top_level_module_name_on_the_shared_path_is_unique():
    directories = sorted({Path(p) for p in stack.python_paths()})
    assert len(directories) > 5
    taken = frozenset(sys.stdlib_module_names) | frozenset(packages_distributions())
    assert clashes(directories, taken) == {}


def test_the_clash_check_can_fail(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "worker.py").write_text("")
    (tmp_path / "two" / "worker.py").write_text("")
    (tmp_path / "two" / "json.py").write_text("")
    stack_root = stack.ROOT
    try:
        stack.ROOT = tmp_path
        found = clashes([tmp_path / "one", tmp_path / "two"], frozenset({"json"}))
    finally:
        stack.ROOT = stack_root
    assert found == {"worker": ["one", "two"], "json": ["two"]}
