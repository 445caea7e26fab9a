"""`make package`: the deployable artifacts in build/, from the template and pinned dependencies.

    build/layer/python/     the shared layer: the flattr package and its dependencies, as wheels
                            for Lambda's python3.12 on arm64 (no Docker, no local python3.12)
    build/functions/<name>/ each function's code
    build/template.yaml     the template, pointing at those folders
    build/static/           the widget (with a versioned name) and our pages, for the bucket

`make deploy` then runs `sam deploy` on build/template.yaml with samconfig.toml's settings.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib

from local import stack

BUILD = stack.ROOT / "build"
PLATFORM = ["--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.12",
            "--only-binary=:all:"]


def runtime_requirements() -> list[str]:
    project = tomllib.loads((stack.ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"]


def build_layer() -> None:
    target = BUILD / "layer" / "python"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), *PLATFORM,
                    *runtime_requirements()], check=True)
    for shared in stack.layer_dirs():
        for package in shared.iterdir():
            if package.is_dir() and (package / "__init__.py").exists():
                shutil.copytree(package, target / package.name, ignore=shutil.ignore_patterns("__pycache__"))


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
    text = text.replace("    Metadata:\n      BuildMethod: python3.12\n      BuildArchitecture: arm64\n", "")
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
    build_template(build_functions())
    build_static()
    size = sum(p.stat().st_size for p in (BUILD / "layer").rglob("*") if p.is_file())
    print(f"build/template.yaml, {len(stack.functions())} functions, layer {size / 1e6:.1f} MB, build/static")


if __name__ == "__main__":
    main()
