"""`make lock`: the lock files, with hashes, from the exact pins in pyproject.toml.

Each lock pins every indirect dependency too, with the sha256 of every file PyPI has for that
version, so `pip install --require-hashes` installs exactly this, on any machine:

    functions/shared/requirements.txt   the layer: `dependencies`, for Lambda's python3.12 on arm64
                                        (`make package` and `sam build` install it)
    requirements/run.txt                dependencies + local: `make run`
    requirements/dev.txt                dependencies + local + dev: `make test`
    requirements/sam.txt, checkov.txt,  the tools, each for its own virtualenv
    requirements/lock.txt

Regenerating keeps every version already locked unless a pin moved (uv reads the old lock as
its preference), so adding one dependency changes only what it brings. uv's cache makes a rerun
work offline when nothing new is needed (`make lock UV_OFFLINE=1`). Each lock starts with a
fingerprint of the pins it came from; tests/template/test_lock.py fails when it is stale.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LAYER_TARGET = ["--python-version", "3.12", "--python-platform", "aarch64-manylinux2014"]
# The project's machines: Python 3.11 or later, on any platform (markers keep what applies).
HOST_TARGET = ["--universal", "--python-version", "3.11"]


@dataclass(frozen=True)
class Lock:
    path: Path
    groups: tuple[str, ...]  # "" is [project] dependencies; the rest are optional groups
    target: tuple[str, ...]
    within: Path | None = None  # another lock whose versions this one must keep


DEV = ROOT / "requirements" / "dev.txt"
# The dev lock first: the layer and the run set take its versions, so `make run` and `make test`
# share one .venv without reinstalling each other's versions, and the layer is what tests ran.
LOCKS = [
    Lock(DEV, ("", "local", "dev"), tuple(HOST_TARGET)),
    Lock(ROOT / "functions" / "shared" / "requirements.txt", ("",), tuple(LAYER_TARGET), within=DEV),
    Lock(ROOT / "requirements" / "run.txt", ("", "local"), tuple(HOST_TARGET), within=DEV),
    Lock(ROOT / "requirements" / "sam.txt", ("sam",), tuple(HOST_TARGET)),
    Lock(ROOT / "requirements" / "checkov.txt", ("checkov",), tuple(HOST_TARGET)),
    Lock(ROOT / "requirements" / "lock.txt", ("lock",), tuple(HOST_TARGET)),
]


def pins(groups: tuple[str, ...]) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    out: list[str] = []
    for group in groups:
        out += project["dependencies"] if group == "" else project["optional-dependencies"][group]
    return sorted(out)


def fingerprint(lock: Lock) -> str:
    """The first line of a lock: which pins, for which target, it was made from."""
    text = "\n".join([*pins(lock.groups), *lock.target])
    return f"# pins-sha256: {hashlib.sha256(text.encode()).hexdigest()}"


def uv() -> str:
    """uv from its own virtualenv (.venv-lock), installed from its lock when there is one."""
    venv = ROOT / ".venv-lock"
    exe = venv / "bin" / "uv"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        lock = ROOT / "requirements" / "lock.txt"
        source = ["--require-hashes", "-r", str(lock)] if lock.exists() else pins(("lock",))
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *source], check=True)
    return str(exe)


def compile_lock(lock: Lock, uv_exe: str) -> None:
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    spec = lock.path.with_suffix(".in")
    spec.write_text("\n".join(pins(lock.groups)) + "\n")
    constraints = lock.path.with_suffix(".constraints")
    extra = []
    if lock.within is not None:
        pinned = [
            line.split(" #", 1)[0].rstrip(" \\")
            for line in lock.within.read_text().splitlines()
            if re.match(r"^[A-Za-z0-9_.-]+==", line)
        ]
        constraints.write_text("\n".join(pinned) + "\n")
        extra = ["--constraint", str(constraints.relative_to(ROOT))]
    try:
        result = subprocess.run(
            [
                uv_exe,
                "pip",
                "compile",
                str(spec.relative_to(ROOT)),
                "--output-file",
                str(lock.path.relative_to(ROOT)),
                "--generate-hashes",
                "--no-header",
                "--annotation-style",
                "line",
                "--quiet",
                *lock.target,
                *extra,
            ],
            cwd=ROOT,
            env={**os.environ, "UV_INDEX_URL": os.environ.get("UV_INDEX_URL", "https://pypi.org/simple")},
        )
    finally:
        spec.unlink()
        constraints.unlink(missing_ok=True)
    if result.returncode != 0:
        sys.exit(f"make lock: could not resolve {lock.path.relative_to(ROOT)} (see above)")
    body = lock.path.read_text()
    lines = [line for line in body.splitlines() if not line.startswith("# pins-sha256:")]
    header = [
        fingerprint(lock),
        f"# `make lock` made this from pyproject.toml ({', '.join(g or 'dependencies' for g in lock.groups)});"
        " do not edit.",
    ]
    lock.path.write_text("\n".join(header + lines) + "\n")
    print(
        f"{lock.path.relative_to(ROOT)}: {sum(1 for line in lines if '==' in line and not line.startswith(' '))} packages"
    )


def main() -> None:
    uv_exe = uv()
    for lock in LOCKS:
        compile_lock(lock, uv_exe)


if __name__ == "__main__":
    main()
