"""Build the browser extension: ``build/extension/{chromium,firefox}/`` to load unpacked, zips in ``dist/``.

One codebase, two manifests: ``manifest.json`` here is Chromium's (a service worker and a side panel); Firefox's
is derived from it (background scripts, a sidebar, a gecko id). The panel renders results with the web page's own
``service/web/render.js`` and ``crosscheck.css``, which the build copies in: the repository holds one copy.

    python3 extension/build.py [--out build/extension] [--dist dist]

Standard library only, so it runs before any install (``make extension``).
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parent
REPO = SOURCE.parent
SHARED = (REPO / "service" / "web" / "render.js", REPO / "service" / "web" / "crosscheck.css")
SUFFIXES = {".html", ".js", ".css", ".png"}
GECKO_ID = "crosscheck@crosscheck"
# Firefox 140 (an ESR) is the first to know data_collection_permissions; it has everything else used here.
FIREFOX_MIN_VERSION = "140.0"
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # the same sources give the same zip, byte for byte


@dataclass(frozen=True)
class Built:
    directories: dict[str, Path]
    archives: dict[str, Path]


def chromium_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def firefox_manifest(chromium: dict[str, Any]) -> dict[str, Any]:
    """Firefox has no side panel and runs MV3 background scripts as an event page, not a service worker."""
    manifest = copy.deepcopy(chromium)
    manifest["background"] = {"scripts": [chromium["background"]["service_worker"]], "type": "module"}
    manifest["permissions"] = [name for name in chromium["permissions"] if name != "sidePanel"]
    panel = manifest.pop("side_panel")
    manifest["sidebar_action"] = {
        "default_panel": panel["default_path"],
        "default_title": "crosscheck",
        "default_icon": chromium["action"]["default_icon"],
        "open_at_install": False,
    }
    manifest["browser_specific_settings"] = {
        "gecko": {
            "id": GECKO_ID,
            "strict_min_version": FIREFOX_MIN_VERSION,
            # The selected text leaves the browser, for the service the user configured: declared, not hidden.
            "data_collection_permissions": {"required": ["websiteContent"]},
        }
    }
    return manifest


def source_files() -> list[Path]:
    """The extension's own files (this script and anything else not shipped left out), relative to SOURCE."""
    return sorted(
        path.relative_to(SOURCE)
        for path in SOURCE.rglob("*")
        if path.is_file() and path.suffix in SUFFIXES and "node_modules" not in path.parts
    )


def assemble(target: Path, manifest: dict[str, Any]) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for relative in source_files():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / relative, target / relative)
    for shared in SHARED:
        shutil.copyfile(shared, target / shared.name)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


def archive(directory: Path, zip_path: Path) -> Path:
    """The directory's files at the zip's root, as the stores want them; fixed order and times."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as bundle:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, path.read_bytes())
    return zip_path


def build(out: Path, dist: Path | None = None) -> Built:
    """Both unpacked directories under ``out``; with ``dist``, their zips there too."""
    chromium = chromium_manifest()
    directories = {
        "chromium": assemble(out / "chromium", chromium),
        "firefox": assemble(out / "firefox", firefox_manifest(chromium)),
    }
    archives: dict[str, Path] = {}
    if dist is not None:
        version = chromium["version"]
        archives["chromium"] = archive(directories["chromium"], dist / f"crosscheck-extension-{version}.zip")
        archives["firefox"] = archive(directories["firefox"], dist / f"crosscheck-extension-{version}-firefox.zip")
    return Built(directories, archives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "extension", help="unpacked directories")
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="zips for the stores")
    args = parser.parse_args()
    built = build(args.out, args.dist)
    for browser, directory in built.directories.items():
        print(f"{browser}: load unpacked from {directory}; upload {built.archives[browser]}")


if __name__ == "__main__":
    main()
