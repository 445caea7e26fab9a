"""The locks are current with pyproject.toml's pins, hash every file, and agree with each other;
the Makefile installs from them. After changing a pin: `make lock`."""

from __future__ import annotations

import re

import pytest

from local import lock

REQ = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)(?: ; (.*?))?(?: \\)?$")


def entries(path) -> dict[tuple[str, str | None], str]:
    """(name, marker) -> version, for every package a lock pins."""
    out = {}
    for line in path.read_text().splitlines():
        m = REQ.match(line.split(" #", 1)[0].rstrip())
        if m:
            out[(m[1].lower().replace("_", "-"), m[3])] = m[2]
    return out


@pytest.mark.parametrize("spec", lock.LOCKS, ids=lambda s: s.path.name)
def test_each_lock_is_current_with_the_pins(spec):
    first = spec.path.read_text().splitlines()[0]
    assert first == lock.fingerprint(spec), (
        f"{spec.path.name} is stale against pyproject.toml: run `make lock`"
    )
    locked = entries(spec.path)
    for pin in lock.pins(spec.groups):
        name, version = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)$", pin).groups()
        versions = {v for (n, _), v in locked.items() if n == name.lower().replace("_", "-")}
        assert versions == {version}, (
            f"{pin} is locked as {versions or 'nothing'} in {spec.path.name}: run `make lock`"
        )


def test_every_pin_is_exact():
    for group in ("", "local", "dev", "sam", "checkov", "lock"):
        for pin in lock.pins((group,)):
            assert re.match(r"^[A-Za-z0-9_.-]+(\[[^\]]*\])?==[^=<>~!,; ]+$", pin), pin


@pytest.mark.parametrize("spec", lock.LOCKS, ids=lambda s: s.path.name)
def test_every_locked_package_carries_its_hashes(spec):
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", spec.path.read_text())
    packages = [b for b in blocks if REQ.match(b.splitlines()[0].split(" #", 1)[0].rstrip())]
    assert packages
    for block in packages:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_layer_and_the_run_set_keep_the_dev_versions():
    dev = entries(lock.DEV)
    for spec in lock.LOCKS:
        if spec.within is None:
            continue
        for (name, marker), version in entries(spec.path).items():
            candidates = {v for (n, _), v in dev.items() if n == name}
            assert version in candidates, f"{name} {version} in {spec.path.name}, {candidates} in dev.txt"


def test_the_layer_ships_boto3_beside_its_botocore():
    layer = {n: v for (n, _), v in entries(lock.LOCKS[1].path).items()}
    assert {"boto3", "botocore", "s3transfer", "jmespath"} <= set(layer)


def test_make_installs_from_the_locks_and_reinstalls_when_they_change():
    makefile = (lock.ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(VENV\)/\.run-installed: requirements/run\.txt", makefile, re.M)
    assert re.search(r"^\$\(VENV\)/\.dev-installed: requirements/dev\.txt", makefile, re.M)
    assert re.search(r"^run: \$\(VENV\)/\.run-installed$", makefile, re.M), (
        "make run installs only the run set"
    )
    assert re.search(r"^test: \$\(VENV\)/\.dev-installed", makefile, re.M)
    assert "--require-hashes" in makefile and "pyproject" not in re.sub(r"#.*", "", makefile)
    shared = (lock.ROOT / "functions" / "shared" / "Makefile").read_text()
    assert "--require-hashes" in shared and "-r requirements.txt" in shared and "--no-compile" in shared
