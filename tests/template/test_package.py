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
    for res in built["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            module = res["Properties"]["Handler"].rsplit(".", 1)[0]
            assert (tmp_path / "build" / res["Properties"]["CodeUri"] / f"{module}.py").exists()
    assert (tmp_path / "build" / "static" / "widget.js").exists()
    assert (tmp_path / "build" / "static" / "flattr.html").exists()
    assert (tmp_path / "build" / "static" / "index.html").exists()  # the web app
    # The local stack's own routes exist only there: nothing deployed may point at them.
    ours = [tmp_path / "build" / "template.yaml", *(tmp_path / "build").glob("functions/**/*"),
            *(tmp_path / "build").glob("static/**/*")]
    assert [p.name for p in ours if p.is_file() and b"/_local" in p.read_bytes()] == []
    cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    lint = subprocess.run([cfn_lint, str(tmp_path / "build" / "template.yaml")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
