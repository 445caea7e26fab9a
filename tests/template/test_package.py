"""`make package` builds what `sam deploy` ships: the layer for python3.12/arm64, each function,
and a template that points at them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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
    assert_layer_is_locked_and_clean(layer)
    for res in built["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            module = res["Properties"]["Handler"].rsplit(".", 1)[0]
            assert (tmp_path / "build" / res["Properties"]["CodeUri"] / f"{module}.py").exists()
    assert (tmp_path / "build" / "static" / "widget.js").exists()
    assert (tmp_path / "build" / "static" / "flattr.html").exists()
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    lint = subprocess.run([cfn_lint, str(tmp_path / "build" / "template.yaml")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def locked_versions() -> dict[str, str]:
    from local import lock

    text = lock.LOCKS[0].path.read_text()
    return {m[0].lower().replace("_", "-"): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def assert_layer_is_locked_and_clean(layer: Path) -> None:
    """What a layer must be, however it was built (`make package` or `sam build`): exactly the
    locked versions, boto3 beside its botocore, compiled code for Linux aarch64 and CPython 3.12
    only, no .pyc compiled for the building machine's Python, no bin/ with its paths."""
    assert not list(layer.rglob("*.pyc")) and not list(layer.rglob("__pycache__"))
    assert not (layer / "bin").exists()
    installed = {}
    for meta in layer.glob("*.dist-info/METADATA"):
        fields = dict(line.split(": ", 1) for line in meta.read_text().splitlines()[:3] if ": " in line)
        installed[fields["Name"].lower().replace("_", "-")] = fields["Version"]
        wheel = (meta.parent / "WHEEL").read_text()
        for tag in re.findall(r"^Tag: (\S+)", wheel, re.M):
            python, abi, platform = tag.split("-")
            if platform != "any":
                assert "aarch64" in platform and "linux" in platform, (meta.parent.name, tag)
                assert python in ("cp312", "cp37", "cp38", "cp39", "cp310", "cp311") and abi in ("cp312", "abi3", "none"), tag
    assert installed == locked_versions()
    assert "boto3" in installed and "botocore" in installed
    for so in layer.rglob("*.so"):
        assert "x86_64" not in so.name, so
