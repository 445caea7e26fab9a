"""Vendor the web app's charting library from its npm release: `python -m local.vendor`.

The app has no front-end build step: it loads Chart.js's prebuilt UMD file, committed under
local/static/vendor/ with its licence. This script is how that file got there, and how to move to
another release: change VERSION and SHA256 (of the npm tarball), run it, and commit the result.
It refuses a tarball whose checksum differs.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import urllib.request

from local import stack

PACKAGE = "chart.js"
VERSION = "4.5.1"
SHA256 = "f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
# tarball member -> file under local/static/vendor/
FILES = {
    "package/dist/chart.umd.min.js": "chart.umd.min.js",
    "package/LICENSE.md": "chart.js.LICENSE.md",
}
VENDOR = stack.ROOT / "local" / "static" / "vendor"


def extract(data: bytes) -> dict[str, bytes]:
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{TARBALL}: sha256 {digest}, expected {SHA256}; refusing it.")
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, name in FILES.items():
            handle = tar.extractfile(member)
            if handle is None:
                raise SystemExit(f"{member} is not in {TARBALL}")
            out[name] = handle.read()
    return out


def main() -> int:
    with urllib.request.urlopen(TARBALL, timeout=60) as response:  # noqa: S310 (a fixed https URL)
        data = response.read()
    VENDOR.mkdir(parents=True, exist_ok=True)
    for name, content in extract(data).items():
        (VENDOR / name).write_bytes(content)
        print(f"local/static/vendor/{name}  {len(content)} bytes")
    (VENDOR / "VERSIONS").write_text(f"{PACKAGE} {VERSION} sha256:{SHA256}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
