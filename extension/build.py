"""Assemble the widget and the Överallt extension from one source, with Python only (no Node).

    python extension/build.py widget                 rewrite widget/widget.js from widget/src/
    python extension/build.py widget --check         exit 1 if widget/widget.js is stale
    python extension/build.py extension --api-url URL [--site-url URL] [--out build/extension]

widget/src/core.js (tags and the button) goes into both: widget/widget.js, which the local stack serves
and `make package` ships, and the extension's content script. The extension is written unpacked, with
manifest.json at its root, plus a zip beside it (build/extension.zip).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import struct
import sys
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "extension"
CORE = ROOT / "widget" / "src" / "core.js"
WIDGET_SRC = ROOT / "widget" / "src" / "widget.js"
WIDGET = ROOT / "widget" / "widget.js"
COPIED = ("background.js", "settings.js", "popup.html", "popup.js", "options.html", "options.js", "ui.css")
EVERYWHERE = ["http://*/*", "https://*/*"]


def compact(js: str) -> str:
    """Drop indentation, whole-line comments and blank lines; nothing inside a line is touched."""
    js = re.sub(r"(?ms)^[ \t]*/\*.*?\*/[ \t]*\n", "", js)
    lines = (line.strip() for line in js.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def assemble(title: str, *parts: Path) -> str:
    sources = ", ".join(str(p.relative_to(ROOT)) for p in parts)
    body = "".join(compact(p.read_text(encoding="utf-8")) for p in parts)
    head = f"/* {title}. Generated from {sources} by extension/build.py: edit those. */\n"
    return f'{head}(function () {{\n"use strict";\n{body}}})();\n'


def widget_js() -> str:
    return assemble("The Flattr button", CORE, WIDGET_SRC)


def content_js() -> str:
    return assemble("Överallt: [Flattr=ID] tags on any page", CORE, EXT / "src" / "content.js")


def origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SystemExit(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def png(size: int) -> bytes:
    """The icon: a green rounded square with a white bar (Flattr's mark, simplified). No image library."""
    green, white, clear = (0x3F, 0x7A, 0x14, 255), (255, 255, 255, 255), (0, 0, 0, 0)
    r = size // 5
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            cx, cy = min(max(x, r), size - 1 - r), min(max(y, r), size - 1 - r)
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
            bar = size * 0.3 <= x < size * 0.7 and size * 0.42 <= y < size * 0.58
            row += bytes(white if inside and bar else green if inside else clear)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def build_extension(api_url: str, out: Path, site_url: str | None = None, grant_hosts: bool = False) -> Path:
    """Write the unpacked extension to `out` and `<out>.zip`. grant_hosts (tests only): host access is
    granted at install instead of asked for, since a headless browser cannot answer the prompt."""
    api = api_url.rstrip("/")
    origin(api)
    site = origin(site_url or api)
    if out.exists():
        shutil.rmtree(out)
    (out / "icons").mkdir(parents=True)
    for name in COPIED:
        shutil.copy(EXT / name, out / name)
    (out / "content.js").write_text(content_js(), encoding="utf-8")
    (out / "config.js").write_text(
        "/* Written by `make extension`. */\n"
        f"var FLATTR_DEFAULTS = {json.dumps({'api': api, 'site': site})};\n",
        encoding="utf-8",
    )
    for size in (16, 32, 48, 128):
        (out / "icons" / f"{size}.png").write_bytes(png(size))
    manifest = json.loads((EXT / "manifest.json").read_text(encoding="utf-8"))
    if grant_hosts:
        manifest["host_permissions"] = manifest.pop("optional_host_permissions")
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    archive = out.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(out).as_posix())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    w = sub.add_parser("widget")
    w.add_argument("--check", action="store_true")
    e = sub.add_parser("extension")
    e.add_argument("--api-url", required=True)
    e.add_argument("--site-url")
    e.add_argument("--out", default=str(ROOT / "build" / "extension"))
    args = parser.parse_args(argv)
    if args.what == "widget":
        fresh = widget_js()
        if args.check:
            if WIDGET.read_text(encoding="utf-8") != fresh:
                print("widget/widget.js is stale: run `python extension/build.py widget`", file=sys.stderr)
                return 1
            return 0
        WIDGET.write_text(fresh, encoding="utf-8")
        print(f"wrote {WIDGET.relative_to(ROOT)} ({len(fresh.encode())} bytes)")
        return 0
    out = build_extension(args.api_url, Path(args.out), args.site_url)
    print(f"wrote {out}/ and {out.with_suffix('.zip')} for {args.api_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
