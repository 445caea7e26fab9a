"""`make package` builds what `sam deploy` ships: the layer for python3.12/arm64, each function,
and a template that points at them."""

from __future__ import annotations

import os
import subprocess
import sys

from samtranslator.yaml_helper import yaml_parse


def test_package_builds_a_deployable_tree(tmp_path, monkeypatch):
    from local import package

    monkeypatch.setattr(package, "BUILD", tmp_path / "build")
    package.main()
    built = yaml_parse((tmp_path / "build" / "template.yaml").read_text())
    layer = tmp_path / "build" / "layer" / "python"
    assert (layer / "flattr" / "store" / "clicks.py").exists()
    assert (layer / "pynamodb").is_dir() and (layer / "aws_lambda_powertools").is_dir()
    assert list(layer.glob("pydantic_core/*aarch64*.so")), "pydantic-core must be the arm64 build"
    # ada-url (URL identity) names its library abi3 only: read the ELF header's machine (183: AArch64).
    ada = (layer / "ada_url" / "_ada_wrapper.abi3.so").read_bytes()[:20]
    assert ada[:4] == b"\x7fELF" and int.from_bytes(ada[18:20], "little") == 183, "ada-url must be arm64"
    assert package.layer_problems(layer) == []
    assert (layer / "boto3").is_dir() and not list(layer.rglob("*.pyc")) and not (layer / "bin").exists()
    for res in built["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            module = res["Properties"]["Handler"].rsplit(".", 1)[0]
            assert (tmp_path / "build" / res["Properties"]["CodeUri"] / f"{module}.py").exists()
    assert (tmp_path / "build" / "static" / "widget.js").exists()
    assert (tmp_path / "build" / "static" / "flattr.html").exists()
    assert (tmp_path / "build" / "static" / "index.html").exists()  # the web app
    # The local stack's own routes exist only there: nothing deployed may point at them.
    ours = [
        tmp_path / "build" / "template.yaml",
        *(tmp_path / "build").glob("functions/**/*"),
        *(tmp_path / "build").glob("static/**/*"),
    ]
    assert [p.name for p in ours if p.is_file() and b"/_local" in p.read_bytes()] == []
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    lint = subprocess.run(
        [cfn_lint, str(tmp_path / "build" / "template.yaml")], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout


def test_a_layer_built_for_this_machine_is_refused(tmp_path):
    from local import package

    layer = tmp_path / "python"
    (layer / "bin").mkdir(parents=True)
    (layer / "segno" / "__pycache__").mkdir(parents=True)
    (layer / "segno" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    info = layer / "pydantic_core-2.46.5.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pydantic_core\nVersion: 2.46.5\n")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nTag: cp311-cp311-manylinux_2_17_x86_64\n")
    problems = "\n".join(package.layer_problems(layer))
    for expected in (
        "x.cpython-311.pyc",
        "bin/",
        "not for Linux aarch64",
        "not for CPython 3.12",
        "not the lock",
        "boto3 and botocore",
    ):
        assert expected in problems
