"""The SAM way: `sam build` on a clean copy of the repository (the SAM CLI pinned in its own
.venv-deploy, as `make deploy` uses it) builds a layer with the locked dependencies, and every
handler imports from .aws-sam/build with only its own code and that layer, as on Lambda.

Lambda's layer is for arm64 and CPython 3.12, so its compiled modules cannot load here: those
few packages (found by their .so files) come from this interpreter, at the same locked versions,
and everything else must come from the built layer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest
from samtranslator.yaml_helper import yaml_parse

from local import package, stack

SAM = stack.ROOT / ".venv-deploy" / "bin" / "sam"

PROBE = r"""
import importlib, json, sys
fn_dir, layer, host, module = sys.argv[1:5]
native = json.loads(sys.argv[5])
base = [p for p in sys.path if "site-packages" not in p and p not in ("", ".")]
sys.path[:] = [host] + base
for name in native:
    importlib.import_module(name)
from_host = set(sys.modules)  # the compiled packages and what they import
sys.path[:] = [fn_dir, layer] + base
handler = getattr(importlib.import_module(module), "handler")
assert callable(handler)
def package_of(path):  # the top-level package a host file belongs to
    return path[len(host):].lstrip("/").split("/")[0].split(".")[0]
outside = sorted({package_of(f) for m, f in ((m, getattr(mod, "__file__", None) or "") for m, mod in list(sys.modules.items()))
                  if m not in from_host and f.startswith(host)
                  and package_of(f) not in native})  # a compiled package's lazy parts, or aliases of them
print(json.dumps(outside))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not SAM.exists():
        if os.environ.get("CI"):
            pytest.fail("make test installs .venv-deploy (the SAM CLI); it is missing")
        pytest.skip("no .venv-deploy (make test installs the SAM CLI there)")
    clone = tmp_path_factory.mktemp("clone")
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=stack.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        source = stack.ROOT / name
        if source.is_file() and not source.is_symlink():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    env = {**os.environ, "PYTHON": sys.executable, "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [str(SAM), "build"], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return clone / ".aws-sam" / "build"


def test_sam_build_uses_the_repository_template(built):
    template = yaml_parse((built / "template.yaml").read_text())
    functions = {k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions == {fn.logical_id for fn in stack.functions()}


def test_the_built_layer_is_the_lock_for_arm64_cp312_without_pyc_or_bin(built):
    layer = built / "SharedLayer" / "python"
    assert (layer / "flattr" / "store").is_dir()
    assert package.layer_problems(layer) == []


@pytest.mark.parametrize("fn", stack.functions(), ids=lambda f: f.logical_id)
def test_every_handler_imports_from_the_build_with_the_built_layer(built, fn):
    layer = built / "SharedLayer" / "python"
    native = sorted({p.relative_to(layer).parts[0].split(".")[0] for p in layer.rglob("*.so")})
    host = sysconfig.get_paths()["purelib"]
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            PROBE,
            str(built / fn.logical_id),
            str(layer),
            host,
            fn.module,
            json.dumps(native),
        ],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [], "imported from outside the layer"
