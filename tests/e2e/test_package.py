"""The Debian package the e2e suite runs from (scripts/e2e.sh builds and unpacks it)."""
import os
import subprocess
from pathlib import Path

import pytest

DEB = os.environ.get("HIKAE_DEB")
pytestmark = pytest.mark.skipif(not DEB, reason="HIKAE_DEB not set (scripts/e2e.sh sets it)")


def field(name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", DEB, name], capture_output=True, text=True, check=True).stdout.strip()


def test_package_metadata_and_contents():
    assert field("Package") == "hikae"
    depends = field("Depends")
    for dep in ["libwebkit2gtk-4.1-0", "libgtk-3-0", "fonts-morisawa-bizud-gothic",
                "libtss2-esys-3.0.2-0", "libtss2-tcti-device0"]:
        assert dep in depends, depends
    files = subprocess.run(["dpkg-deb", "-c", DEB], capture_output=True, text=True, check=True).stdout
    for path in ["usr/bin/hikae-desktop", "usr/bin/hikae", "usr/share/applications/Hikae.desktop",
                 "usr/share/icons/hicolor/128x128/apps/hikae-desktop.png"]:
        assert path in files, path


def test_package_installs_on_this_debian():
    """apt resolves every dependency from Debian 12 (simulated: nothing is installed)."""
    out = subprocess.run(["apt-get", "install", "--simulate", "-q", str(Path(DEB).resolve())],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Inst hikae" in out.stdout, out.stdout


def test_the_suite_runs_the_packaged_binaries():
    from conftest import APP, CLI
    root = Path(os.environ["HIKAE_DEB_ROOT"]).resolve()
    assert APP.resolve() == root / "usr/bin/hikae-desktop"
    assert CLI.resolve() == root / "usr/bin/hikae"
    out = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("hikae "), out
