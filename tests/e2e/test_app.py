"""The downtime workflow in the real app."""
import os
import signal
import subprocess
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import new_session, shot


def wait_text(driver, css: str, text: str, timeout: float = 10):
    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element(By.CSS_SELECTOR, css).text)


def start(driver, name="看護師 見本"):
    user = driver.find_element(By.ID, "user")
    user.clear()
    user.send_keys(name)
    driver.find_element(By.ID, "start").click()


def new_record(driver, template, pid, pname):
    driver.find_element(By.ID, "nav-new").click()
    driver.find_element(By.CSS_SELECTOR, f'[data-template="{template}"]').click()
    driver.find_element(By.ID, "patient-id").send_keys(pid)
    driver.find_element(By.ID, "patient-name").send_keys(pname)
    driver.find_element(By.ID, "create").click()


def fill_sbar(driver, situation: str) -> None:
    """Fills an SBAR handover so it can be finalized."""
    fill = {
        "f-handover_at": "2026/11/21 16:30",
        "f-from_staff": "例示 健",
        "f-situation": situation,
        "f-background": "S状結腸切除術後。",
        "f-assessment": "鎮痛薬で改善傾向。",
        "f-recommendation": "20時に疼痛を再評価してください。",
    }
    for field_id, text in fill.items():
        driver.find_element(By.ID, field_id).send_keys(text)
    wait_text(driver, "#preview", "20時に疼痛を再評価")


def test_discharge_summary_autosaves_and_survives_a_crash(app, data_dir):
    shot(app, "01-start")
    start(app)
    app.find_element(By.ID, "nav-new").click()
    shot(app, "02-choose-type")
    app.find_element(By.CSS_SELECTOR, '[data-template="discharge-summary"]').click()
    app.find_element(By.ID, "patient-id").send_keys("DEMO-E2E-1")
    app.find_element(By.ID, "patient-name").send_keys("架空 花子")
    shot(app, "03-patient")
    app.find_element(By.ID, "create").click()

    app.find_element(By.ID, "f-chief_complaint").send_keys("3日前からの発熱と咳嗽。")
    wait_text(app, "#save-state", "保存済み")
    # medication table: add a row with the button, the next by Enter in the last cell
    app.find_element(By.ID, "f-discharge_meds-add").click()
    app.find_element(By.ID, "f-discharge_meds-0-0").send_keys("アムロジピン錠 5mg")
    app.find_element(By.ID, "f-discharge_meds-0-1").send_keys("1錠")
    app.find_element(By.ID, "f-discharge_meds-0-2").send_keys("1日1回 朝食後")
    app.find_element(By.ID, "f-discharge_meds-0-3").send_keys("28" + Keys.ENTER)
    app.find_element(By.ID, "f-discharge_meds-1-0").send_keys("カルボシステイン錠")
    wait_text(app, "#preview", "カルボシステイン錠")
    assert "アムロジピン錠 5mg" in app.find_element(By.ID, "preview").text
    shot(app, "04-form-and-preview")

    # type, wait for the save, then kill the app the hard way mid-edit
    app.find_element(By.ID, "f-hospital_course").send_keys("入院後、抗菌薬で加療した。")
    wait_text(app, "#save-state", "保存済み")
    subprocess.run(["pkill", "-KILL", "-f", "target/.*/hikae-desktop"], check=False)
    time.sleep(1)
    try:
        app.quit()  # the driver still counts the killed app's session
    except Exception:
        pass

    d2 = new_session()
    try:
        start(d2)
        d2.find_element(By.ID, "nav-list").click()
        d2.find_element(By.ID, "search").send_keys("DEMO-E2E-1")
        WebDriverWait(d2, 10).until(lambda d: "架空 花子" in d.find_element(By.ID, "record-list").text)
        d2.find_element(By.CSS_SELECTOR, "#record-list button.link").click()
        assert d2.find_element(By.ID, "f-chief_complaint").get_attribute("value") == "3日前からの発熱と咳嗽。"
        assert d2.find_element(By.ID, "f-hospital_course").get_attribute("value") == "入院後、抗菌薬で加療した。"
        assert d2.find_element(By.ID, "f-discharge_meds-1-0").get_attribute("value") == "カルボシステイン錠"
        shot(d2, "05-after-crash")
    finally:
        d2.quit()


def test_language_switch_keeps_the_screen_usable(app, data_dir):
    start(app)
    app.find_element(By.ID, "nav-settings").click()
    shot(app, "06-settings-ja")
    from selenium.webdriver.support.ui import Select
    Select(app.find_element(By.ID, "lang")).select_by_value("en")
    wait_text(app, "#nav-new", "New record")
    shot(app, "07-settings-en")
    Select(app.find_element(By.ID, "lang")).select_by_value("ja")
    wait_text(app, "#nav-new", "新しい記録")
    # settings changes are audited
    from conftest import CLI
    out = subprocess.run([str(CLI), "--data-dir", str(data_dir), "audit", "list", "--action", "settings"],
                         capture_output=True, text=True, check=True).stdout
    assert "language = en" in out and "language = ja" in out, out


def test_finalize_export_pdf_and_search(app, tmp_path):
    start(app, "看護師 例示")
    new_record(app, "sbar-handover", "DEMO-E2E-2", "架空 次郎")
    fill_sbar(app, "術後1日目、創部痛が増強。")
    app.find_element(By.ID, "finalize").click()
    app.find_element(By.ID, "reviewer").send_keys("看護師 例示")
    shot(app, "08-finalize-dialog")
    app.find_element(By.ID, "confirm-finalize").click()
    wait_text(app, ".record-head", "確定済み")
    assert app.find_element(By.ID, "f-situation").get_attribute("disabled") is not None, "finalized records are read-only"
    shot(app, "09-finalized")

    # the save dialog is native (GTK) and cannot be driven over WebDriver: call the command its
    # callback calls, with a path, exactly as the UI does after the dialog returns
    record_id = app.find_element(By.CSS_SELECTOR, "section.editor").get_attribute("data-record-id")
    out = tmp_path / "sbar.pdf"
    result = app.execute_script(
        "return window.__TAURI_INTERNALS__.invoke('export_pdf', {id: arguments[0], path: arguments[1]});", record_id, str(out)
    )
    assert result["pages"] == 1 and out.is_file()
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for needle in ["申し送り（SBAR）", "術後1日目、創部痛が増強。", "最終確認者: 看護師 例示", "患者ID DEMO-E2E-2", "ダウンタイム時作成"]:
        assert needle in text, needle
    assert "下書き" not in text

    app.find_element(By.ID, "nav-list").click()
    app.find_element(By.ID, "search").send_keys("創部痛")
    WebDriverWait(app, 10).until(lambda d: "DEMO-E2E-2" in d.find_element(By.ID, "record-list").text)
    shot(app, "10-search")


def wait_printed(job: str, timeout: float = 60) -> None:
    """Until CUPS lists the job as completed."""
    end = time.time() + timeout
    while time.time() < end:
        out = subprocess.run(["lpstat", "-W", "completed", "-o"], capture_output=True, text=True,
                             env=dict(os.environ, LC_ALL="C")).stdout
        if job in out.split():
            return
        time.sleep(0.3)
    raise AssertionError(f"print job {job} did not complete")


def print_in_dialog(driver):
    """Chooses the test printer in the open print dialog, prints, returns (job, pages)."""
    from selenium.webdriver.support.ui import Select
    printer = os.environ["HIKAE_TEST_PRINTER"]
    Select(driver.find_element(By.ID, "printer")).select_by_value(printer)
    driver.find_element(By.ID, "print-now").click()
    wait_text(driver, "#paper-result", "印刷を送信しました", timeout=30)
    text = driver.find_element(By.ID, "paper-result").text
    import re
    m = re.search(r"ジョブ (\S+)、(\d+) ページ", text)
    assert m, text
    return m.group(1), int(m.group(2))


def test_procedure_steps_are_ticked_with_who_and_when_and_printed(app):
    start(app, "看護師 手順")
    app.find_element(By.ID, "nav-procedures").click()
    app.find_element(By.CSS_SELECTOR, '[data-procedure="ai-outage"]').click()
    wait_text(app, "#run-state", "未開始")
    app.find_element(By.ID, "step-0").click()
    wait_text(app, "#step-0-who", "看護師 手順")
    app.find_element(By.ID, "step-2").click()
    wait_text(app, "#step-2-who", "看護師 手順")
    app.find_element(By.ID, "step-2").click()  # untick: recorded, no longer shown as done
    WebDriverWait(app, 10).until(lambda d: not d.find_elements(By.ID, "step-2-who"))
    wait_text(app, "#run-state", "1 / ")
    shot(app, "11-procedure-ticked")

    # printed with the tick, through the print dialog, to a real CUPS printer
    app.find_element(By.ID, "checklist-print").click()
    shot(app, "12-print-dialog")
    job, pages = print_in_dialog(app)
    assert pages >= 1
    wait_printed(job)
    app.find_element(By.ID, "paper-close").click()

    # a new session of the app (a restart) shows the same ticks, by the same person
    app.quit()
    d2 = new_session()
    try:
        start(d2, "看護師 別人")
        d2.find_element(By.ID, "nav-procedures").click()
        d2.find_element(By.CSS_SELECTOR, '[data-procedure="ai-outage"]').click()
        wait_text(d2, "#step-0-who", "看護師 手順")
        assert d2.find_element(By.ID, "step-0").is_selected()
        assert not d2.find_element(By.ID, "step-2").is_selected()
        # role filter: only the doctor's steps
        d2.find_element(By.CSS_SELECTOR, '[data-role="doctor"]').click()
        roles = {e.text for e in d2.find_elements(By.CSS_SELECTOR, "li.step .role")}
        assert roles == {"医師"}, roles
    finally:
        d2.quit()


def test_many_records_print_in_one_go_with_progress(app):
    start(app, "看護師 印刷")
    app.find_element(By.ID, "nav-list").click()
    from selenium.webdriver.support.ui import Select
    Select(app.find_element(By.ID, "type-filter")).select_by_value("sbar-handover")
    WebDriverWait(app, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#record-list tr")) >= 2)
    n = len(app.find_elements(By.CSS_SELECTOR, "#record-list tr"))
    # the date filter (Japan time): nothing yesterday, everything today
    import datetime
    import zoneinfo
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Tokyo"))
    date = app.find_element(By.ID, "date-filter")
    date.send_keys((today - datetime.timedelta(days=1)).strftime("%Y/%m/%d") + Keys.ENTER)
    WebDriverWait(app, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#record-list tr"))
    date.clear()
    date.send_keys(today.strftime("%Y年%m月%d日") + Keys.ENTER)
    WebDriverWait(app, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#record-list tr")) == n)
    app.find_element(By.ID, "select-all").click()
    wait_text(app, "#selected-count", f"{n} ")
    shot(app, "13-list-selected")
    app.find_element(By.ID, "print-selected").click()
    job, pages = print_in_dialog(app)
    assert pages >= n, (pages, n)
    progress = app.find_element(By.ID, "paper-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max"), "progress reached the end"
    shot(app, "14-batch-printed")
    wait_printed(job)


def test_login_lock_and_break_glass_on_an_encrypted_pc(driver_server, secured_dir):
    from conftest import DOCTOR_PIN, EMERGENCY_CODE, NURSE_PIN
    from selenium.webdriver.support.ui import Select
    d = new_session(["--data-dir", str(secured_dir)])
    try:
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "staff-id"))
        shot(d, "15-login")
        d.find_element(By.ID, "staff-id").send_keys("N0001")
        d.find_element(By.ID, "pin").send_keys("000000" + Keys.ENTER)
        wait_text(d, "#login-error", "wrong staff ID or PIN")
        d.find_element(By.ID, "pin").send_keys(NURSE_PIN + Keys.ENTER)
        wait_text(d, "#status-band", "看護師 試験 花子")
        # a nurse cannot finalize a discharge summary: the core refuses, the dialog says so
        new_record(d, "discharge-summary", "DEMO-E2E-9", "架空 九子")
        d.find_element(By.ID, "f-chief_complaint").send_keys("発熱。")
        wait_text(d, "#save-state", "保存済み")
        # lock now: the form is hidden; the same nurse comes back to the same screen
        d.find_element(By.ID, "f-chief_complaint").send_keys(Keys.CONTROL, "l")
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "lock-screen"))
        shot(d, "16-locked")
        d.find_element(By.CSS_SELECTOR, "#lock-screen #pin").send_keys(NURSE_PIN + Keys.ENTER)
        WebDriverWait(d, 10).until(lambda x: not x.find_elements(By.ID, "lock-screen"))
        assert d.find_element(By.ID, "f-chief_complaint").get_attribute("value") == "発熱。"
        d.find_element(By.ID, "finalize").click()
        d.find_element(By.ID, "reviewer").send_keys("看護師 試験 花子")
        d.find_element(By.ID, "confirm-finalize").click()
        wait_text(d, ".dialog", "only a doctor")
        shot(d, "17-nurse-refused")
    finally:
        d.quit()

    # break-glass: marked on screen
    d = new_session(["--data-dir", str(secured_dir)])
    try:
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "break-glass-open"))
        d.find_element(By.ID, "break-glass-open").click()
        d.find_element(By.ID, "bg-name").send_keys("看護師 応援 太郎")
        Select(d.find_element(By.ID, "bg-role")).select_by_value("nurse")
        d.find_element(By.ID, "bg-reason").send_keys("認証基盤停止・応援勤務")
        d.find_element(By.ID, "bg-code").send_keys(EMERGENCY_CODE)
        d.find_element(By.ID, "break-glass-start").click()
        wait_text(d, "#break-glass-band", "緊急アクセス中")
        assert "看護師 応援 太郎" in d.find_element(By.ID, "break-glass-band").text
        shot(d, "18-break-glass")
    finally:
        d.quit()

    # the administrator reviews it in the app: chain intact, break-glass highlighted
    from conftest import ADMIN_PIN, CLI
    d = new_session(["--data-dir", str(secured_dir)])
    try:
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "staff-id"))
        d.find_element(By.ID, "staff-id").send_keys("A0001")
        d.find_element(By.ID, "pin").send_keys(ADMIN_PIN + Keys.ENTER)
        wait_text(d, "#audit-chain", "改ざんは検出されていません")
        assert not d.find_elements(By.ID, "nav-list"), "administrators do not open patient records"
        d.find_element(By.ID, "audit-bg").click()
        WebDriverWait(d, 10).until(
            lambda x: x.find_elements(By.CSS_SELECTOR, "#audit-list tbody tr")
            and all("bg" in (r.get_attribute("class") or "") for r in x.find_elements(By.CSS_SELECTOR, "#audit-list tbody tr")))
        assert "看護師 応援 太郎" in d.find_element(By.ID, "audit-list").text
        shot(d, "19-audit-review")
    finally:
        d.quit()

    # everything above is in the audit log, and the chain is intact
    env = dict(os.environ, HIKAE_STAFF="A0001", HIKAE_PIN=ADMIN_PIN)
    out = subprocess.run([str(CLI), "--data-dir", str(secured_dir), "audit", "list", "--limit", "200"],
                         capture_output=True, text=True, env=env, check=True).stdout
    for needle in ["login_failed", "lock", "unlock", "create", "break_glass", "[BREAK-GLASS]"]:
        assert needle in out, (needle, out)
    subprocess.run([str(CLI), "--data-dir", str(secured_dir), "audit", "verify"], env=env, check=True)


def test_recent_patients_come_from_the_store_not_the_webview(app):
    start(app, "看護師 最近")
    new_record(app, "nursing-soap", "DEMO-E2E-R", "架空 最近子")
    wait_text(app, ".record-head", "DEMO-E2E-R")
    app.find_element(By.ID, "nav-new").click()
    app.find_element(By.CSS_SELECTOR, '[data-template="sbar-handover"]').click()
    WebDriverWait(app, 10).until(lambda d: "DEMO-E2E-R 架空 最近子" in d.find_element(By.CSS_SELECTOR, ".chips").text)
    stored = app.execute_script("return JSON.stringify(Object.assign({}, localStorage));")
    assert "DEMO-E2E-R" not in stored and "架空" not in stored, stored


def test_unprintable_characters_warn_at_the_field_and_before_finalizing(app, tmp_path):
    """A character no installed font has (⦅) is warned about at its field and in the finalize
    dialog; one the fallback fonts have (槗, in the patient's name) prints as itself."""
    start(app, "看護師 例示")
    new_record(app, "sbar-handover", "DEMO-E2E-7", "架空 槗子")
    fill_sbar(app, "記号⦅テスト⦆を含む申し送り。")
    WebDriverWait(app, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '.unprintable-warning[data-path="situation"]'))
    warn = app.find_element(By.CSS_SELECTOR, '.unprintable-warning[data-path="situation"]').text
    assert "⦅" in warn and "⦆" in warn and "〓" in warn, warn
    assert not app.find_elements(By.CSS_SELECTOR, '.unprintable-warning[data-path="patient"]'), \
        "槗 is in a fallback font: the name prints, no warning"
    shot(app, "11-unprintable-field")
    app.find_element(By.ID, "finalize").click()
    listed = app.find_element(By.ID, "finalize-unprintable").text
    assert "⦅" in listed, listed
    shot(app, "12-unprintable-finalize")
    app.find_element(By.ID, "reviewer").send_keys("看護師 例示")
    app.find_element(By.ID, "confirm-finalize").click()
    wait_text(app, ".record-head", "確定済み")
    record_id = app.find_element(By.CSS_SELECTOR, "section.editor").get_attribute("data-record-id")
    out = tmp_path / "unprintable.pdf"
    app.execute_script(
        "return window.__TAURI_INTERNALS__.invoke('export_pdf', {id: arguments[0], path: arguments[1]});", record_id, str(out)
    )
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "架空 槗子" in text and "記号〓テスト〓を含む" in text, text
