"""End-to-end harness: the real Hikae binary in a real WebKitGTK webview under Xvfb,
driven over WebDriver through tauri-driver. Run by scripts/test.sh (scripts/e2e.sh)."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
APP = Path(os.environ.get("HIKAE_APP", ROOT / "target" / "debug" / "hikae-desktop"))
CLI = Path(os.environ.get("HIKAE_CLI", ROOT / "target" / "debug" / "hikae"))
SHOTS = Path(os.environ.get("HIKAE_SHOTS", ROOT / "target" / "e2e-screenshots"))

# A folder that is not set up opens only in demo mode (fictional data, not encrypted). The CLI
# reads HIKAE_DEMO (it is ignored for folders that are set up, so secured_dir is unaffected);
# the desktop app ignores it and takes only the --demo argument (new_session below).
os.environ["HIKAE_DEMO"] = "1"
DEMO = "--demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()
NATIVE_PORT = free_port()


def wait_port(port: int, timeout: float = 20.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@pytest.fixture(scope="session")
def data_dir():
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-") as d:
        # the fictional demo records, as the README's run command seeds them
        subprocess.run([str(CLI), "--data-dir", d, "demo", "--out", os.path.join(d, "demo-pdf")],
                       check=True, stdout=subprocess.DEVNULL)
        yield Path(d)


ADMIN_PIN, NURSE_PIN, DOCTOR_PIN, EMERGENCY_CODE = "246810", "333333", "222222", "135790"


@pytest.fixture(scope="session")
def secured_dir(tmp_path_factory):
    """An encrypted installation set up the way an administrator does it, with the CLI:
    setup, a signing key, the signed demo roster, PINs for a nurse and a doctor."""
    d = tmp_path_factory.mktemp("hikae-secured")
    data = d / "data"

    def run(*args, **env):
        subprocess.run([str(CLI), "--data-dir", str(data), *args], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, **env))

    run("setup", "--admin-id", "A0001", HIKAE_PIN=ADMIN_PIN, HIKAE_EMERGENCY_CODE=EMERGENCY_CODE)
    run("pack", "keygen", "--out", str(d / "admin"), "--no-password")
    admin = dict(HIKAE_STAFF="A0001", HIKAE_PIN=ADMIN_PIN)
    run("roster", "trust", str(d / "admin.pub"), **admin)
    roster = d / "roster.toml"
    roster.write_text((ROOT / "data" / "demo" / "roster.toml").read_text())
    run("roster", "sign", str(roster), "--key", str(d / "admin.key"))
    run("roster", "install", str(roster), **admin)
    run("enrol", "N0001", **admin, HIKAE_NEW_PIN=NURSE_PIN)
    run("enrol", "D0001", **admin, HIKAE_NEW_PIN=DOCTOR_PIN)
    return data


@pytest.fixture(scope="session")
def driver_server(data_dir):
    """tauri-driver (which starts WebKitWebDriver); stopped with SIGTERM so no child lingers."""
    env = dict(os.environ, HIKAE_DATA_DIR=str(data_dir))
    # fresh ports every run, so a driver left by an interrupted run can never answer this one
    proc = subprocess.Popen(
        ["tauri-driver", "--port", str(PORT), "--native-port", str(NATIVE_PORT)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        wait_port(PORT)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def new_session(args=None):
    """A session of the desktop app. No args: the shared demo folder (data_dir, through
    HIKAE_DATA_DIR), which opens only with --demo; otherwise exactly the args given."""
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": str(APP), "args": [DEMO] if args is None else list(args)})
    d = webdriver.Remote(command_executor=f"http://127.0.0.1:{PORT}", options=opts)
    d.implicitly_wait(5)
    d.set_script_timeout(5)
    return d


@pytest.fixture
def app(driver_server):
    d = new_session()
    yield d
    try:
        d.quit()
    except Exception:
        pass


def demo_start(driver, name: str) -> None:
    """An unencrypted (demo) install: no login, the writer's name and 「開始」."""
    driver.find_element(By.ID, "user").clear()
    driver.find_element(By.ID, "user").send_keys(name)
    driver.find_element(By.ID, "start").click()


def shot(driver, name: str) -> Path:
    """Screenshot of the Xvfb screen (ImageMagick `import`) once the page has laid out.
    WebDriver's own screenshot hangs in WebKitGTK's non-composited mode, which Hikae uses."""
    driver.execute_script("return document.body.getBoundingClientRect().height")
    time.sleep(0.4)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    subprocess.run(["import", "-silent", "-window", "root", str(path)], check=True, timeout=30)
    return path


@pytest.fixture
def fhir_server():
    """Medplum's FHIR engine (tests/fhir-server), refusing patients whose ID starts UNKNOWN-."""
    proc = subprocess.Popen(
        ["node", "--experimental-websocket", "server.mjs", "--port", "0", "--exit-on-stdin-close",
         "--reject-patient-prefix", "UNKNOWN-"],
        cwd=ROOT / "tests" / "fhir-server", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("LISTENING "), line
    yield f"http://127.0.0.1:{line.split()[1]}"
    proc.kill()
    proc.wait()


def fhir_stats(base: str) -> dict:
    """Resources the test FHIR server holds, by type."""
    import urllib.request
    with urllib.request.urlopen(f"{base}/_stats") as r:
        return json.load(r)["counts"]


def finalized(data: Path, template: str, pid: str, name: str) -> str:
    """A record finalized through the CLI from the demo fixture of `template`."""
    fx = next(r for r in json.loads((ROOT / "data" / "demo" / "records.json").read_text())
              if r["template"] == template and r.get("final_reviewer"))
    values = data / f"{pid}.json"
    values.write_text(json.dumps(fx["values"], ensure_ascii=False))
    run = lambda *a: subprocess.run([str(CLI), "--data-dir", str(data), *a], check=True,
                                    capture_output=True, text=True).stdout
    rid = run("new", template, "--patient-id", pid, "--patient-name", name,
              "--author", fx["author"], "--from", str(values)).splitlines()[0].strip()
    run("finalize", rid, "--reviewer", fx["final_reviewer"])
    return rid


AXE_SOURCE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe's rule tags)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(driver, where: str) -> list[str]:
    """axe-core (ui/node_modules, pinned in ui/package.json) over the whole page as it is now:
    one line per violation and element, prefixed with `where`."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_SOURCE.read_text())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then((r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 6).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1, 3).join(' '))}))))"
        ".catch((e) => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        AXE_TAGS)
    driver.set_script_timeout(5)
    return [f"{where}: {v['id']} ({v['impact']}) {v['help']}: {n}" for v in result for n in (v["nodes"] or ["(page)"])]
