"""The extension's build (extension/build.py): two loadable directories, two store zips, one copy of the shared
rendering, and manifests that ask for no more than the extension uses."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from extension.build import SHARED, Built, build, chromium_manifest, firefox_manifest

LOOPBACK = ["http://127.0.0.1/*", "http://localhost/*"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("built")
    return build(root / "build", root / "dist")


def manifest(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return loaded


def test_the_web_page_rendering_is_copied_in_unchanged(built: Built) -> None:
    for directory in built.directories.values():
        for shared in SHARED:
            assert (directory / shared.name).read_bytes() == shared.read_bytes()
    assert not (Path(__file__).parents[2] / "extension" / "render.js").exists()  # one copy, in service/web


def test_the_chromium_manifest_asks_for_least_privilege(built: Built) -> None:
    chromium = manifest(built.directories["chromium"])
    assert chromium == chromium_manifest()
    assert chromium["manifest_version"] == 3
    # scripting: the keyboard shortcut reads the selection from the tab activeTab opens to it (README)
    assert sorted(chromium["permissions"]) == ["activeTab", "contextMenus", "scripting", "sidePanel", "storage"]
    assert chromium["host_permissions"] == LOOPBACK  # anything else is asked for from the options page
    assert chromium["optional_host_permissions"] == ["http://*/*", "https://*/*"]
    assert chromium["background"] == {"service_worker": "background.js", "type": "module"}
    assert "content_scripts" not in chromium and "web_accessible_resources" not in chromium


def test_the_firefox_manifest_has_a_sidebar_and_background_scripts(built: Built) -> None:
    firefox = manifest(built.directories["firefox"])
    assert firefox == firefox_manifest(chromium_manifest())
    assert firefox["background"] == {"scripts": ["background.js"], "type": "module"}
    assert "side_panel" not in firefox and "sidePanel" not in firefox["permissions"]
    assert firefox["sidebar_action"]["default_panel"] == "panel.html"
    gecko = firefox["browser_specific_settings"]["gecko"]
    assert gecko["id"] and gecko["data_collection_permissions"] == {"required": ["websiteContent"]}
    assert firefox["host_permissions"] == LOOPBACK


def test_pages_run_only_their_own_scripts(built: Built) -> None:
    """No remote code, nothing inline, no eval: the CSP says so and the files keep to it."""
    directory = built.directories["chromium"]
    csp = manifest(directory)["content_security_policy"]["extension_pages"]
    assert "script-src 'self';" in csp and "object-src 'none'" in csp and "unsafe" not in csp
    for page in directory.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts == [f'<script type="module" src="{page.stem}.js">'], page.name
        assert not re.search(r"<[^>]*\son[a-z]+\s*=|javascript:", html, re.IGNORECASE), page.name  # no handlers
        for reference in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert reference.startswith("#") or (directory / reference).is_file(), (page.name, reference)
    for script in directory.glob("*.js"):
        code = script.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|\.innerHTML\b|import\(", code), script.name


def test_the_manifest_names_only_files_that_are_built(built: Built) -> None:
    for directory in built.directories.values():
        text = (directory / "manifest.json").read_text(encoding="utf-8")
        for name in re.findall(r'"([\w/-]+\.(?:js|html|png))"', text):
            assert (directory / name).is_file(), (directory.name, name)


def test_the_zips_hold_the_directories_and_are_reproducible(built: Built, tmp_path: Path) -> None:
    version = chromium_manifest()["version"]
    assert built.archives["chromium"].name == f"crosscheck-extension-{version}.zip"
    assert built.archives["firefox"].name == f"crosscheck-extension-{version}-firefox.zip"
    for browser, archive in built.archives.items():
        directory = built.directories[browser]
        with zipfile.ZipFile(archive) as bundle:
            names = sorted(bundle.namelist())
            assert names == sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
            assert json.loads(bundle.read("manifest.json")) == manifest(directory)
    again = build(tmp_path / "build", tmp_path / "dist")
    assert all(again.archives[b].read_bytes() == built.archives[b].read_bytes() for b in built.archives)
