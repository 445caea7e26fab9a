"""`make package`: the deployable artifacts in build/, from the template and pinned dependencies.

    build/layer/python/     the shared layer: the flattr package and its locked dependencies
                            (functions/shared/requirements.txt), as wheels for Lambda's
                            python3.12 on arm64; built by functions/shared/Makefile, the very
                            recipe `sam build` runs (no Docker, no local python3.12)
    build/functions/<name>/ each function's code
    build/template.yaml     the template, pointing at those folders
    build/static/           the widget (with a versioned name) and our pages, for the bucket

`make deploy` then runs `sam deploy` on build/template.yaml with samconfig.toml's settings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from local import stack

BUILD = stack.ROOT / "build"
LAYER_LOCK = stack.ROOT / "functions" / "shared" / "requirements.txt"


def build_layer() -> None:
    for shared in stack.layer_dirs():
        subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(shared),
                "build-SharedLayer",
                f"ARTIFACTS_DIR={BUILD / 'layer'}",
                f"PYTHON={sys.executable}",
            ],
            check=True,
        )


def layer_problems(layer: Path) -> list[str]:
    """What a built layer (layer/python) must be, by `make package` or `sam build`: exactly the
    locked versions, boto3 beside its botocore, compiled code for Linux aarch64 and CPython 3.12
    only, no .pyc compiled for the building machine's Python, no bin/ with its paths."""
    problems = [f"compiled for this machine: {p.relative_to(layer)}" for p in layer.rglob("*.pyc")]
    if (layer / "bin").exists():
        problems.append("bin/ (scripts with this machine's paths)")
    locked = {
        m[0].lower().replace("_", "-"): m[1]
        for m in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", LAYER_LOCK.read_text(), re.M)
    }
    installed = {}
    for info in layer.glob("*.dist-info"):
        meta = dict(
            line.split(": ", 1) for line in (info / "METADATA").read_text().splitlines()[:4] if ": " in line
        )
        installed[meta["Name"].lower().replace("_", "-")] = meta["Version"]
        for tag in re.findall(r"^Tag: (\S+)", (info / "WHEEL").read_text(), re.M):
            python, abi, platform = tag.split("-")
            if platform == "any":
                continue
            if not ("linux" in platform and "aarch64" in platform):
                problems.append(f"{info.name}: {tag} is not for Linux aarch64")
            if not (python == "cp312" and abi == "cp312" or python.startswith("cp3") and abi == "abi3"):
                problems.append(f"{info.name}: {tag} is not for CPython 3.12")
    if installed != locked:
        problems.append(f"not the lock: {sorted(set(installed.items()) ^ set(locked.items()))}")
    if not {"boto3", "botocore"} <= set(installed):
        problems.append("boto3 and botocore must both be in the layer")
    return problems


def build_functions() -> dict[str, str]:
    paths = {}
    for fn in stack.functions():
        dest = BUILD / "functions" / fn.code_dir.name
        if not dest.exists():
            shutil.copytree(fn.code_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
        paths[str(fn.code_dir)] = f"functions/{fn.code_dir.name}/"
    return paths


def build_template(paths: dict[str, str]) -> None:
    text = stack.TEMPLATE.read_text()
    for source, built in paths.items():
        relative = "../functions/" + source.rsplit("/functions/", 1)[1] + "/"
        text = text.replace(f"CodeUri: {relative}", f"CodeUri: {built}")
    for shared in stack.layer_dirs():
        text = text.replace(f"ContentUri: ../functions/{shared.name}/", "ContentUri: layer/")
    # The layer is built above; sam must not build it again.
    text = text.replace("    Metadata:\n      BuildMethod: makefile\n      BuildArchitecture: arm64\n", "")
    (BUILD / "template.yaml").write_text(text)


def build_static() -> None:
    """The widget and our pages; `local.publish` points them at the API and versions the widget."""
    static = BUILD / "static"
    static.mkdir(parents=True)
    shutil.copy(stack.ROOT / "widget" / "widget.js", static / "widget.js")
    for page in (stack.ROOT / "local" / "static").iterdir():
        if page.is_file():
            shutil.copy(page, static / page.name)
    shutil.copytree(stack.ROOT / "local" / "static" / "vendor", static / "vendor")  # Chart.js and its licence


def main() -> None:
    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir()
    build_layer()
    problems = layer_problems(BUILD / "layer" / "python")
    if problems:
        sys.exit("make package: the layer is wrong:\n  " + "\n  ".join(problems))
    build_template(build_functions())
    build_static()
    size = sum(p.stat().st_size for p in (BUILD / "layer").rglob("*") if p.is_file())
    print(f"build/template.yaml, {len(stack.functions())} functions, layer {size / 1e6:.1f} MB, build/static")


if __name__ == "__main__":
    main()
