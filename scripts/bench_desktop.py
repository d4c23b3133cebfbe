"""Desktop start time and memory: Hikae against the platform floor (a minimal Tauri 2 window,
bench/floor), side by side in one run. Called by scripts/bench-desktop.sh.

Start: from spawning the process to the page reporting that its first screen is interactive
(both call the `ui_ready` command; its wall-clock time is compared with the spawn time).
Memory: PSS summed over the app process and every descendant (WebKitWebProcess,
WebKitNetworkProcess), read from /proc/<pid>/smaps_rollup 3 s after the screen is ready; for
Hikae after its record list shows 1,000 records. Both are driven the same way (tauri-driver).
"""
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

APP = ROOT / "target" / "release" / "hikae-desktop"
FLOOR = ROOT / "target" / "release" / "hikae-floor"
RUNS = int(os.environ.get("BENCH_RUNS", "10"))


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    out, todo = [], [pid]
    while todo:
        q = todo.pop()
        out.append(q)
        todo.extend(children.get(q, []))
    return out


def pss_kib(pids: list[int]) -> tuple[int, list[str]]:
    """Total PSS, and "process: MiB" for each process."""
    total, parts = 0, []
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        kib = sum(int(l.split()[1]) for l in rollup.splitlines() if l.startswith("Pss:"))
        total += kib
        parts.append(f"{name} {kib / 1024:.1f}")
    return total, parts


def start_time(binary: Path, env: dict) -> float:
    """Milliseconds from spawn to the READY line."""
    t0 = time.time()
    proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        deadline = t0 + 60
        for line in proc.stdout:
            if line.startswith("HIKAE_READY"):
                return int(line.split()[2]) - t0 * 1000
            if time.time() > deadline:
                break
        raise RuntimeError(f"{binary.name} never reported ready")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def memory(binary: Path, data_dir: str, hikae: bool, extra_env: dict) -> tuple[int, list[str]]:
    import conftest
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    conftest.APP = binary
    env = dict(os.environ, HIKAE_DATA_DIR=data_dir, **extra_env)
    drv = subprocess.Popen(["tauri-driver", "--port", str(conftest.PORT), "--native-port", str(conftest.NATIVE_PORT)],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        conftest.wait_port(conftest.PORT)
        d = conftest.new_session()
        try:
            if hikae:
                d.find_element(By.ID, "user").send_keys("看護師 計測")
                d.find_element(By.ID, "start").click()
                d.find_element(By.ID, "nav-list").click()
                # all 1,000 are loaded (and selectable); the list shows them 100 at a time
                WebDriverWait(d, 60).until(lambda x: "1000" in x.find_element(By.CSS_SELECTOR, "p.more").text
                                           and len(x.find_elements(By.CSS_SELECTOR, "#record-list tr")) == 100)
            else:
                d.find_element(By.TAG_NAME, "h1")
            time.sleep(3)
            pid = int(subprocess.run(["pgrep", "-nf", f"^{binary}"], capture_output=True, text=True, check=True).stdout.split()[0])
            return pss_kib(descendants(pid))
        finally:
            d.quit()
    finally:
        os.killpg(drv.pid, 15)
        drv.wait(timeout=20)


# Hikae turns WebKit's GPU compositing off (src-tauri/src/main.rs); the floor runs as a default
# Tauri app, and once more with the same WebKit setting, so the comparison is like for like.
FLOORS = [("floor, Tauri defaults", {}), ("floor, compositing off like Hikae", {"WEBKIT_DISABLE_COMPOSITING_MODE": "1"})]


def main() -> None:
    others = subprocess.run(["pgrep", "-f", "WebKitWebProcess"], capture_output=True, text=True).stdout.split()
    if others:
        sys.exit(f"other WebKit processes are running ({others}); they share pages and skew PSS: stop them first")
    data_dir = sys.argv[1]
    env = dict(os.environ, HIKAE_DATA_DIR=data_dir, HIKAE_BENCH_READY="1")
    envs = [dict(env, **extra) for _, extra in FLOORS]
    # warm the page cache, then alternate so drift hits all equally
    for e in envs:
        start_time(FLOOR, e)
    start_time(APP, env)
    times: list[list[float]] = [[] for _ in FLOORS] + [[]]
    for _ in range(RUNS):
        for i, e in enumerate(envs):
            times[i].append(start_time(FLOOR, e))
        times[-1].append(start_time(APP, env))
    med = [statistics.median(t) for t in times]
    print(f"start to interactive, median of {RUNS} (min–max):")
    for (label, _), t, m in zip(FLOORS, times, med):
        print(f"  {label:36} {m:6.0f} ms  ({min(t):.0f}–{max(t):.0f})")
    print(f"  {'Hikae start screen':36} {med[-1]:6.0f} ms  ({min(times[-1]):.0f}–{max(times[-1]):.0f})")
    for (label, _), m in zip(FLOORS, med):
        print(f"  Hikae / {label}: {med[-1] / m:.2f}x (aim <= 1.25x)")

    print("PSS summed over the app and its WebKit processes, 3 s after ready:")
    floors = [memory(FLOOR, data_dir, False, extra) for _, extra in FLOORS]
    a_kib, a_parts = memory(APP, data_dir, True, {})
    for (label, _), (kib, parts) in zip(FLOORS, floors):
        print(f"  {label + ' (hello page)':48} {kib / 1024:6.1f} MiB  ({', '.join(sorted(parts))})")
    print(f"  {'Hikae (1,000 records loaded, list shown)':48} {a_kib / 1024:6.1f} MiB  ({', '.join(sorted(a_parts))})")
    for (label, _), (kib, _) in zip(FLOORS, floors):
        print(f"  Hikae - {label}: {(a_kib - kib) / 1024:+.1f} MiB (aim <= +60 MiB)")


if __name__ == "__main__":
    main()
