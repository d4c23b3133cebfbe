"""Accessibility in the real app: axe-core (WCAG 2.2 A and AA rules) on every screen, in Japanese
and English, in normal work, during a declared downtime, during a drill, under break-glass, on
the locked screen and in first-run setup; and the text-size setting at 200 % reflows the screens
without horizontal scrolling or clipped controls. The patient summary and census with patients
are checked in test_snapshot.py (they need the FHIR server)."""
import subprocess
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import CLI, DEMO, EMERGENCY_CODE, axe_violations, new_session, shot


def wait_id(d, element_id: str, timeout: float = 10):
    WebDriverWait(d, timeout).until(lambda x: x.find_elements(By.ID, element_id))
    return d.find_element(By.ID, element_id)


def settle(d):
    """Lets the screen finish its first round of IPC (lists, preview) before it is checked."""
    d.execute_script("return new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300)))")


def seeded() -> Path:
    t = Path(tempfile.mkdtemp(prefix="hikae-e2e-a11y-"))
    subprocess.run([str(CLI), "--data-dir", str(t), "demo", "--out", str(t.parent / (t.name + "-pdf"))],
                   check=True, stdout=subprocess.DEVNULL)
    return t


def open_record(d, finalized: bool):
    d.find_element(By.ID, "nav-list").click()
    wait_id(d, "record-list")
    Select(d.find_element(By.ID, "status-filter")).select_by_value("finalized" if finalized else "draft")
    WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, "#record-list button.link"))
    d.find_element(By.CSS_SELECTOR, "#record-list button.link").click()
    wait_id(d, "preview")
    WebDriverWait(d, 10).until(lambda x: x.find_element(By.ID, "preview").text.strip())


# the top bar's screens: button, what shows the screen is there, name
SCREENS = [("nav-census", "#census", "census"), ("nav-sync", "main .sync", "sync"),
           ("nav-procedures", "main .procedures", "procedures"), ("nav-printpack", "#printpack", "8-hour paper pack"),
           ("nav-drill", "#drill-screen", "drill"), ("nav-audit", "main .audit", "audit log"),
           ("nav-fleet", "#fleet", "fleet readiness"),
           ("nav-settings", "#size", "settings")]


def every_screen(d, lang: str, state: str) -> list[str]:
    """Visits the screens a user can reach from the top bar and the dialogs on them."""
    found: list[str] = []
    at = lambda where: found.extend(axe_violations(d, f"[{lang}/{state}] {where}"))

    d.find_element(By.ID, "nav-list").click()
    wait_id(d, "record-list"); settle(d); at("record list")
    d.find_element(By.ID, "nav-new").click()
    WebDriverWait(d, 5).until(lambda x: x.find_elements(By.CSS_SELECTOR, "[data-template]"))
    settle(d); at("new record: templates")
    d.find_element(By.CSS_SELECTOR, '[data-template="sbar-handover"]').click()
    wait_id(d, "patient-id"); d.find_element(By.ID, "paper-entry").click(); settle(d); at("new record: patient")
    d.find_element(By.ID, "paper-entry").click()
    open_record(d, finalized=False); settle(d); at("draft")
    # the stock phrase picker over a text field
    d.find_element(By.ID, "f-situation").send_keys(Keys.F2)
    wait_id(d, "phrase-picker"); settle(d); at("phrase picker")
    d.find_element(By.ID, "phrase-filter").send_keys(Keys.ESCAPE)
    d.find_element(By.ID, "finalize").click()
    wait_id(d, "record-dialog"); settle(d); at("finalize dialog")
    d.find_element(By.ID, "reviewer").send_keys(Keys.ESCAPE)
    open_record(d, finalized=True); settle(d); at("finalized record")
    d.find_element(By.ID, "export-pdf").click()
    wait_id(d, "paper-dialog"); settle(d); at("print dialog")
    d.find_element(By.ID, "paper-dialog").send_keys(Keys.ESCAPE)
    WebDriverWait(d, 5).until(lambda x: not x.find_elements(By.ID, "paper-dialog"))
    for nav, ready, name in SCREENS:
        if not d.find_elements(By.ID, nav):
            continue
        d.find_element(By.ID, nav).click()
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, ready), f"{name} did not open")
        settle(d); at(name)
    return found


def set_lang(d, lang: str):
    d.find_element(By.ID, "nav-settings").click()
    Select(wait_id(d, "lang")).select_by_value(lang)
    WebDriverWait(d, 5).until(lambda x: x.execute_script("return document.documentElement.lang") == lang)


def test_every_screen_in_japanese_and_english_in_normal_downtime_and_drill_states(driver_server):
    data = seeded()
    d = new_session([DEMO, "--data-dir", str(data)])
    found: list[str] = []
    try:
        found += axe_violations(d, "[ja] start")
        start = wait_id(d, "user"); start.clear(); start.send_keys("看護師 例示" + Keys.ENTER)
        wait_id(d, "nav-new")
        for lang in ["ja", "en"]:
            set_lang(d, lang)
            found += every_screen(d, lang, "normal")
        set_lang(d, "ja")
        # a declared downtime: the dialog, then the screens with the band
        d.find_element(By.ID, "downtime-declare").click()
        wait_id(d, "downtime-dialog"); settle(d)
        found += axe_violations(d, "[ja] declare downtime dialog")
        d.find_element(By.ID, "dt-svc-ai").click()
        d.find_element(By.ID, "dt-reason").send_keys("生成AIサービス停止（訓練外・試験）")
        d.find_element(By.ID, "dt-declare-confirm").click()
        wait_id(d, "downtime-band")
        for lang in ["ja", "en"]:
            set_lang(d, lang)
            found += every_screen(d, lang, "downtime")
        set_lang(d, "ja")
        d.find_element(By.ID, "downtime-end").click()
        wait_id(d, "dt-end-note").send_keys("復旧を確認")
        d.find_element(By.ID, "dt-end-confirm").click()
        WebDriverWait(d, 10).until(lambda x: not x.find_elements(By.ID, "downtime-band"))
        # a drill
        d.find_element(By.ID, "nav-drill").click()
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, '[id^="drill-start-"]'))
        d.find_elements(By.CSS_SELECTOR, '[id^="drill-start-"]')[0].click()
        wait_id(d, "drill-banner"); wait_id(d, "drill-live")
        for lang in ["ja", "en"]:
            set_lang(d, lang)
            found += every_screen(d, lang, "drill")
        shot(d, "60-a11y-drill")
        # the language is kept in the webview's storage, shared by the tests after this one
        set_lang(d, "ja")
    finally:
        d.quit()
    assert not found, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)


def test_login_break_glass_lock_and_setup_screens(driver_server, secured_dir):
    found: list[str] = []
    d = new_session(["--data-dir", str(secured_dir)])
    try:
        wait_id(d, "staff-id"); settle(d)
        found += axe_violations(d, "[ja] login")
        d.find_element(By.ID, "break-glass-open").click()
        wait_id(d, "bg-name"); settle(d)
        found += axe_violations(d, "[ja] break-glass form")
        d.find_element(By.ID, "bg-name").send_keys("看護師 応援 次郎")
        d.find_element(By.ID, "bg-reason").send_keys("認証基盤停止・応援勤務")
        d.find_element(By.ID, "bg-code").send_keys(EMERGENCY_CODE)
        d.find_element(By.ID, "break-glass-start").click()
        wait_id(d, "break-glass-band")
        for lang in ["ja", "en"]:
            set_lang(d, lang)
            d.find_element(By.ID, "nav-list").click(); wait_id(d, "record-list"); settle(d)
            found += axe_violations(d, f"[{lang}/break-glass] record list")
            d.find_element(By.ID, "nav-new").click()
            d.find_element(By.CSS_SELECTOR, '[data-template="nursing-soap"]').click()
            wait_id(d, "patient-id").send_keys("DEMO-A11Y-1")
            d.find_element(By.ID, "patient-name").send_keys("架空 一子")
            d.find_element(By.ID, "create").click()
            wait_id(d, "preview"); settle(d)
            found += axe_violations(d, f"[{lang}/break-glass] draft")
        set_lang(d, "ja")
        d.find_element(By.ID, "lock-now").click()
        wait_id(d, "lock-screen"); settle(d)
        found += axe_violations(d, "[ja] locked screen")
        assert d.execute_script("return document.getElementById('lock-screen').contains(document.activeElement)"), \
            "the focus is on the locked screen"
    finally:
        d.quit()
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-a11y-setup-") as fresh:
        d = new_session(["--data-dir", fresh])
        try:
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, "#setup, .setup"))
            settle(d)
            found += axe_violations(d, "[ja] first-run setup")
        finally:
            d.quit()
    assert not found, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)


OVERFLOW = """
const vw = document.documentElement.clientWidth;
const out = [];
if (document.documentElement.scrollWidth > vw + 1) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
for (const el of document.querySelectorAll('button, input, select, textarea, label, h1, h2, h3, p, td, th, .band, .tile')) {
  const r = el.getBoundingClientRect();
  if (!r.width || getComputedStyle(el).visibility === 'hidden') continue;
  if (r.right > vw + 1) out.push(`${el.tagName}#${el.id}.${el.className} ends at ${Math.round(r.right)} > ${vw}`);
  const cs = getComputedStyle(el);
  if (['hidden', 'clip'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.tagName !== 'TEXTAREA')
    out.push(`${el.tagName}#${el.id}.${el.className} clips its text`);
}
return out.slice(0, 12);
"""


def test_text_at_200_percent_reflows_without_clipping(driver_server):
    data = seeded()
    d = new_session([DEMO, "--data-dir", str(data)])
    problems: list[str] = []
    try:
        start = wait_id(d, "user"); start.clear(); start.send_keys("看護師 例示" + Keys.ENTER)
        wait_id(d, "nav-new")
        d.find_element(By.ID, "nav-settings").click()
        size = wait_id(d, "size")
        biggest = int(size.get_attribute("max"))
        assert biggest >= 2 * 17, f"the text-size setting reaches 200 % of the default (17 px): max {biggest}"
        d.execute_script("const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('input', {bubbles: true}));"
                         "s.dispatchEvent(new Event('change', {bubbles: true}));", size, biggest)
        WebDriverWait(d, 5).until(lambda x: x.execute_script("return document.documentElement.style.fontSize") == f"{biggest}px")
        for nav, ready, name in [("nav-list", "#record-list", "record list"), ("nav-new", "[data-template]", "templates"), *SCREENS]:
            if not d.find_elements(By.ID, nav):
                continue
            d.find_element(By.ID, nav).click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, ready), f"{name} did not open")
            settle(d)
            problems += [f"{name}: {p}" for p in d.execute_script(OVERFLOW)]
        open_record(d, finalized=False); settle(d)
        problems += [f"draft: {p}" for p in d.execute_script(OVERFLOW)]
        shot(d, "61-text-200-percent")
        d.find_element(By.ID, "finalize").click()
        wait_id(d, "record-dialog"); settle(d)
        problems += [f"finalize dialog: {p}" for p in d.execute_script(OVERFLOW)]
        d.find_element(By.ID, "reviewer").send_keys(Keys.ESCAPE)
    finally:
        # the webview's storage is shared by the e2e sessions: back to the default size
        try:
            d.execute_script("localStorage.setItem('hikae.size', '17')")
        finally:
            d.quit()
    assert not problems, "at 200 % text:\n" + "\n".join(problems)
