"""Hikae opens no network connection: the desktop app (with its WebKit processes) and the CLI
run under `strace -f -e trace=connect`, and every connect() must be to a local socket (X11,
D-Bus, CUPS), never to an IP address. No endpoint is configured here, so none is allowed."""
import os
import re
import subprocess
import time

from conftest import APP, CLI, DEMO


def inet_connects(trace: str) -> list[str]:
    return [l for l in trace.splitlines() if "connect(" in l and re.search(r"AF_INET6?\b", l)]


def test_the_desktop_app_connects_nowhere(tmp_path, data_dir):
    log = tmp_path / "app.strace"
    proc = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(log), str(APP), DEMO, "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env=dict(os.environ, HIKAE_BENCH_READY="1"),
    )
    try:
        time.sleep(8)  # window up, page loaded, WebKit's network process started
        assert proc.poll() is None, "the app exited early"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
    trace = log.read_text()
    assert "connect(" in trace, "strace saw the app's local connections (the check works)"
    assert inet_connects(trace) == [], inet_connects(trace)


def test_the_cli_connects_nowhere(tmp_path):
    log = tmp_path / "cli.strace"
    data = tmp_path / "data"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,socket", "-o", str(log), str(CLI),
                    "--data-dir", str(data), "demo", "--out", str(tmp_path / "pdf")],
                   check=True, stdout=subprocess.DEVNULL)
    trace = log.read_text()
    assert inet_connects(trace) == [], inet_connects(trace)
    assert not re.search(r"socket\(AF_INET", trace), trace
