"""A continuity drill in the real app: started from the drill screen, shown on every screen,
stamped on the record made during it (on screen and in its PDF), never sent to a production
FHIR server, ended with what was learnt, reported (on screen and as a PDF), and cleaned up."""
import re
import subprocess
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import CLI, DEMO, demo_start, fhir_stats as stats, finalized, new_session, shot


def cli(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "--data-dir", str(data), *args], check=check,
                          capture_output=True, text=True, timeout=180)


def wait_text(driver, css: str, text: str, timeout: float = 10):
    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element(By.CSS_SELECTOR, css).text)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def exported_text(driver, command: str, id_: str, out: Path) -> str:
    """Saves a PDF through the app's own export command; its text (pdftotext)."""
    result = driver.execute_script(
        "return window.__TAURI_INTERNALS__.invoke(arguments[0], {id: arguments[1], path: arguments[2]});",
        command, id_, str(out))
    assert result["pages"] >= 1 and out.is_file()
    return pdf_text(out)


def squeeze(s: str) -> str:
    """Text without white space: pdftotext breaks long lines where the layout wrapped them."""
    return re.sub(r"\s+", "", s)


def count(d, what: str) -> int:
    return int(d.find_element(By.CSS_SELECTOR, f'[data-count="{what}"]').text)


REACHED = {"met", "late", "done"}


def test_drill_is_marked_everywhere_never_sent_reported_and_purged(driver_server, fhir_server):
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-drill-") as tmp, \
            tempfile.TemporaryDirectory(prefix="hikae-e2e-drill-out-") as out_tmp:
        data = Path(tmp)
        out = Path(out_tmp)  # exports never go into the data folder (the app refuses)
        # a production endpoint: it must never receive a drill record
        (data / "config.toml").write_text(
            f'[sync]\nendpoint = "{fhir_server}"\nproduction = true\ncheck_interval_secs = 3600\n')
        cli(data, "templates")  # the data folder is set up (unencrypted) before the app opens it
        # one real record made before the drill: it must reach the server (the sync works)
        finalized(data, "nursing-soap", "REAL-0001", "実在 記録")
        d = new_session([DEMO, "--data-dir", str(data)])
        try:
            # unencrypted (demo) install: no login, so this person may run drills
            demo_start(d, "看護師 訓練")

            # --- start the first scenario ---
            d.find_element(By.ID, "nav-drill").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, '[id^="drill-start-"]'))
            shot(d, "31-drill-scenarios")
            start = d.find_elements(By.CSS_SELECTOR, '[id^="drill-start-"]')[0]
            scenario_id = start.get_attribute("id")[len("drill-start-"):]
            title = d.find_element(By.CSS_SELECTOR, f'[data-scenario="{scenario_id}"] .scenario-title').text.strip()
            assert title, "the scenario shows its title"
            start.click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "drill-banner"))
            banner = d.find_element(By.ID, "drill-banner")
            drill_id = banner.get_attribute("data-drill-id")
            assert drill_id and drill_id.startswith("DR-"), drill_id
            for needle in ["訓練中", "DRILL", drill_id, title]:
                assert needle in banner.text, (needle, banner.text)
            assert "drill" in d.execute_script("return document.documentElement.className").split()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "drill-live"))
            assert d.find_elements(By.ID, "drill-end"), "the drill can be ended from its screen"
            shot(d, "32-drill-running")

            # the band is there on the other screens too (the record list is the home screen)
            d.find_element(By.ID, "nav-list").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "record-list"))
            assert d.find_element(By.ID, "drill-banner").is_displayed()
            shot(d, "33-drill-home")

            # --- a record made during the drill ---
            d.find_element(By.ID, "nav-new").click()
            d.find_element(By.CSS_SELECTOR, '[data-template="sbar-handover"]').click()
            assert d.find_element(By.ID, "drill-banner").is_displayed()
            d.find_element(By.ID, "patient-id").send_keys("DRILL-E2E-1")
            d.find_element(By.ID, "patient-name").send_keys("訓練 太郎")
            d.find_element(By.ID, "create").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "record-drill-badge"))
            assert "DRILL" in d.find_element(By.ID, "record-drill-badge").text
            wait_text(d, "#record-notes", "訓練")
            fill = {
                "f-handover_at": "2026/11/22 14:30",
                "f-from_staff": "看護師 訓練",
                "f-situation": "訓練用の申し送り。発熱なし。",
                "f-background": "訓練シナリオの架空患者。",
                "f-assessment": "状態は安定。",
                "f-recommendation": "次の勤務で観察を継続してください。",
            }
            for field_id, text in fill.items():
                d.find_element(By.ID, field_id).send_keys(text)
            wait_text(d, "#preview", "観察を継続")
            wait_text(d, "#save-state", "保存済み")
            d.find_element(By.ID, "finalize").click()
            d.find_element(By.ID, "reviewer").send_keys("看護師 訓練")
            d.find_element(By.ID, "confirm-finalize").click()
            wait_text(d, ".record-head", "確定済み")
            assert d.find_element(By.ID, "record-drill-badge").is_displayed()
            shot(d, "34-drill-record")

            # its PDF says it is a drill record, with the drill's id (the save dialog is native:
            # call the command its callback calls, as test_app does)
            record_id = d.find_element(By.CSS_SELECTOR, "section.editor").get_attribute("data-record-id")
            text = exported_text(d, "export_pdf", record_id, out / "drill-record.pdf")
            assert "訓練" in text and "DRILL" in text, text
            assert drill_id in squeeze(text), (drill_id, text)

            # in the list, with its badge
            d.find_element(By.ID, "nav-list").click()
            row = f'#record-list tr[data-record="{record_id}"]'
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, row))
            assert d.find_elements(By.CSS_SELECTOR, f'{row} [data-badge="drill"]')

            # --- sync: the production server gets nothing from a drill ---
            d.find_element(By.ID, "nav-sync").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "sync-counts"))
            send = d.find_element(By.ID, "sync-now")
            if send.is_enabled():
                send.click()
                WebDriverWait(d, 60).until(lambda x: x.find_elements(By.ID, "sync-progress") and any(
                    w in x.find_element(By.ID, "sync-progress").text for w in ["送信完了", "接続できません", "中断しました"]))
            # and the command-line sync (the same outbox) sends nothing either
            cli(data, "sync")
            time.sleep(1)
            # the real record arrived, the drill record did not
            assert stats(fhir_server).get("DocumentReference", 0) == 1, stats(fhir_server)
            d.find_element(By.ID, "nav-list").click()
            d.find_element(By.ID, "nav-sync").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "sync-counts"))
            assert count(d, "acknowledged") == 1
            shot(d, "35-drill-not-sent")

            # --- end the drill with who took part and what was learnt ---
            d.find_element(By.ID, "nav-drill").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "drill-end"))
            WebDriverWait(d, 15).until(lambda x: x.find_element(
                By.CSS_SELECTOR, '#drill-milestones [data-milestone="first_record"]').get_attribute("data-state") in REACHED)
            findings = "紙の申し送り用紙の置き場所が分からなかった"
            actions = "用紙をナースステーションの赤い棚に置く"
            # Enter (not "\n", which the WebKit driver drops) separates the lines of a textarea
            d.find_element(By.ID, "drill-participants").send_keys("看護師 訓練A" + Keys.ENTER + "看護師 訓練B")
            d.find_element(By.ID, "drill-notes").send_keys("申し送りを紙とHikaeで実施。")
            d.find_element(By.ID, "drill-findings").send_keys(findings)
            d.find_element(By.ID, "drill-actions").send_keys(actions)
            shot(d, "36-drill-end-form")
            d.find_element(By.ID, "drill-end").click()
            WebDriverWait(d, 15).until(lambda x: x.find_elements(By.ID, "drill-report"))
            WebDriverWait(d, 10).until(lambda x: not x.find_elements(By.ID, "drill-banner"))
            assert "drill" not in d.execute_script("return document.documentElement.className").split()

            report = d.find_element(By.ID, "drill-report")
            assert report.get_attribute("data-drill-id") == drill_id
            assert title in report.text
            keys = [r.get_attribute("data-milestone")
                    for r in d.find_elements(By.CSS_SELECTOR, "#drill-milestones tr[data-milestone]")]
            assert {"first_record", "first_finalized", "first_printed"} <= set(keys), keys
            for key in ["first_record", "first_finalized", "first_printed"]:
                state = d.find_element(By.CSS_SELECTOR, f'#drill-milestones [data-milestone="{key}"]').get_attribute("data-state")
                assert state in REACHED, (key, state)
            assert d.find_elements(By.ID, "drill-timeline")
            assert findings in d.find_element(By.ID, "drill-report-findings").text
            assert actions in d.find_element(By.ID, "drill-report-actions").text
            people = d.find_element(By.ID, "drill-report-participants").text
            assert "看護師 訓練A" in people and "看護師 訓練B" in people, people
            shot(d, "37-drill-report")

            # the print dialog opens on the report
            d.find_element(By.ID, "drill-report-print").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "paper-dialog"))
            assert drill_id in d.find_element(By.ID, "paper-title").text
            shot(d, "38-drill-report-print")
            d.find_element(By.ID, "paper-close").click()
            WebDriverWait(d, 10).until(lambda x: not x.find_elements(By.ID, "paper-dialog"))

            # the report as a PDF
            text = exported_text(d, "export_drill_report", drill_id, out / "drill-report.pdf")
            flat = squeeze(text)
            assert "訓練" in text, text
            assert squeeze(title) in flat, (title, text)
            assert squeeze(findings) in flat, text
            assert drill_id in flat

            # --- remove the drill's records (after a confirmation) ---
            purge = d.find_element(By.ID, "drill-purge")
            assert purge.is_enabled()
            purge.click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "drill-purge-confirm"))
            d.find_element(By.ID, "drill-purge-yes").click()
            WebDriverWait(d, 15).until(lambda x: x.find_elements(By.ID, "drill-purge-result"))
            removed = re.search(r"\d+", d.find_element(By.ID, "drill-purge-result").text)
            assert removed and int(removed.group()) == 1, d.find_element(By.ID, "drill-purge-result").text
            WebDriverWait(d, 10).until(lambda x: not x.find_element(By.ID, "drill-purge").is_enabled())
            shot(d, "39-drill-purged")

            # the drill stays in the history
            d.find_element(By.ID, "drill-back").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.CSS_SELECTOR, f'#drill-history tr[data-drill="{drill_id}"]'))

            # the record is gone from the list
            d.find_element(By.ID, "nav-list").click()
            d.find_element(By.ID, "search").send_keys("DRILL-E2E-1")
            time.sleep(1)
            WebDriverWait(d, 10).until(lambda x: not x.find_elements(By.CSS_SELECTOR, row))
            assert "DRILL-E2E-1" not in d.find_element(By.ID, "record-list").text
            shot(d, "40-drill-record-gone")
        finally:
            d.quit()
        assert "DRILL-E2E-1" not in cli(data, "list").stdout
        assert stats(fhir_server).get("DocumentReference", 0) == 1
