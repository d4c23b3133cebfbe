"""Keystroke to updated preview in the real webview, on a 3-page discharge summary: each key is
timed in the page from its keydown to the moment the preview shows the text (one autosave round
trip returns the preview). Figures go to target/e2e-figures/preview.json (docs/PERFORMANCE.md);
a measurement, not a timed assertion."""
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import CLI, DEMO, ROOT, new_session

KEYS = 40

PROBE = """
const preview = document.getElementById('preview');
window.__lat = [];
window.__expect = null;
let pressed = null;
document.addEventListener('keydown', () => { pressed = performance.now(); }, true);
new MutationObserver(() => {
  if (pressed !== null && window.__expect && preview.textContent.includes(window.__expect)) {
    window.__lat.push(performance.now() - pressed);
    pressed = null;
    window.__expect = null;
  }
}).observe(preview, {childList: true, subtree: true, characterData: true});
"""


def test_keystroke_to_preview_on_a_three_page_record(driver_server):
    fixture = next(r for r in json.loads((ROOT / "data" / "demo" / "records.json").read_text())
                   if r["template"] == "discharge-summary")
    values = dict(fixture["values"])
    # a long stay: the hospital course four times over makes the record three A4 pages
    values["hospital_course"] = "\n\n".join([values["hospital_course"]] * 4)
    values["discharge_status"] = "\n".join([values["discharge_status"]] * 3)
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-preview-") as t:
        data = Path(t)
        src = data / "values.json"
        src.write_text(json.dumps(values, ensure_ascii=False))
        run = lambda *a: subprocess.run([str(CLI), "--data-dir", str(data), *a], check=True,
                                        capture_output=True, text=True).stdout
        rid = run("new", "discharge-summary", "--patient-id", "DEMO-PV-1", "--patient-name", "架空 頁子",
                  "--author", fixture["author"], "--from", str(src)).splitlines()[0].strip()
        with tempfile.TemporaryDirectory(prefix="hikae-e2e-preview-pdf-") as out:
            pdf = Path(out) / "draft.pdf"
            run("render", rid, "--pdf", str(pdf))
            info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
            pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages >= 3, f"the record is {pages} pages"
        d = new_session([DEMO, "--data-dir", str(data)])
        try:
            d.find_element(By.ID, "user").send_keys("看護師 例示")
            d.find_element(By.ID, "start").click()
            d.find_element(By.ID, "nav-list").click()
            d.find_element(By.CSS_SELECTOR, f'[data-record="{rid}"] button.link').click()
            WebDriverWait(d, 10).until(lambda x: "経過" in x.find_element(By.ID, "preview").text)
            d.execute_script(PROBE)
            plan = d.find_element(By.ID, "f-plan")
            # a marker no other text has, then one letter at a time, each waited for
            typed = " Zq"
            plan.send_keys(typed)
            WebDriverWait(d, 10).until(lambda x: "Zq" in x.find_element(By.ID, "preview").text)
            d.execute_script("window.__lat = []")
            for i in range(KEYS):
                typed += "abcdefghijklmnopqrstuvwxyz"[i % 26]
                d.execute_script("window.__expect = arguments[0]", typed.strip())
                plan.send_keys(typed[-1])
                WebDriverWait(d, 10).until(lambda x: x.execute_script("return window.__expect === null"))
            lat = d.execute_script("return window.__lat")
        finally:
            d.quit()
    assert len(lat) == KEYS, lat
    lat = sorted(lat)
    figures = {
        "pages": pages,
        "keys": len(lat),
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
        "max_ms": round(lat[-1], 1),
    }
    out = ROOT / "target" / "e2e-figures"
    out.mkdir(parents=True, exist_ok=True)
    (out / "preview.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
