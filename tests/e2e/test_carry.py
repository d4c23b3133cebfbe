"""Copy-forward in the real app: today's SBAR for a patient with yesterday's, started with
「前回から作成」, carried fields marked until edited or confirmed, finalized with the
confirmation; keystrokes counted against typing the same SBAR on a blank form.
Figures go to target/e2e-figures/carry.json (docs/PERFORMANCE.md)."""
import json
import tempfile
from pathlib import Path

from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.common.by import By

from conftest import DEMO, ROOT, finalized, new_session, shot

PID, NAME = "DEMO-CF-1", "架空 花子"

# what changes since yesterday: typed in both cases
TODAY = {
    "handover_at": "2026/11/22 16:30",
    "from_staff": "例示 健（日勤）",
    "situation": "術後2日目。夜間は入眠でき、疼痛は NRS 2/10。",
}


def test_todays_sbar_starts_from_yesterdays_and_carried_text_must_be_confirmed(driver_server):
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-carry-") as t:
        data = Path(t)
        finalized(data, "sbar-handover", PID, NAME)  # yesterday's, from the demo fixture
        fixture = next(r for r in json.loads((ROOT / "data" / "demo" / "records.json").read_text())
                       if r["template"] == "sbar-handover")["values"]
        d = new_session([DEMO, "--data-dir", str(data)])
        try:
            d.find_element(By.ID, "user").send_keys("看護師 例示")
            d.find_element(By.ID, "start").click()
            d.find_element(By.ID, "nav-new").click()
            d.find_element(By.CSS_SELECTOR, '[data-template="sbar-handover"]').click()
            d.find_element(By.ID, "patient-id").send_keys(PID)
            d.find_element(By.ID, "patient-name").send_keys(NAME)
            d.find_element(By.ID, "create-from-previous").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "carried-note"))
            marks = {m.get_attribute("data-field") for m in d.find_elements(By.CSS_SELECTOR, ".carried-mark:not(.confirmed)")}
            assert {"background", "assessment", "recommendation"} <= marks, marks
            assert d.find_element(By.ID, "f-background").get_attribute("value") == fixture["background"]
            assert d.find_element(By.ID, "f-situation").get_attribute("value") == ""
            shot(d, "40-carried")
            typed = 0
            for fid, text in TODAY.items():
                d.find_element(By.ID, f"f-{fid}").send_keys(text)
                typed += len(text)
            # today's assessment differs: edited, so confirmed by the edit
            extra = " 離床は病棟内2周。"
            d.find_element(By.ID, "f-assessment").send_keys(extra)
            typed += len(extra)
            WebDriverWait(d, 10).until(lambda x: x.find_elements(
                By.CSS_SELECTOR, '.carried-mark.confirmed[data-field="assessment"]'))
            # the background is still true: confirmed with its button
            d.find_element(By.CSS_SELECTOR, '.carried-confirm[data-field="background"]').click()
            typed += 1
            WebDriverWait(d, 10).until(lambda x: x.find_elements(
                By.CSS_SELECTOR, '.carried-mark.confirmed[data-field="background"]'))
            WebDriverWait(d, 10).until(lambda x: "保存済み" in x.find_element(By.ID, "save-state").text)
            # finalizing lists what is still unconfirmed and waits for the tick
            d.find_element(By.ID, "finalize").click()
            d.find_element(By.ID, "reviewer").send_keys("看護師 例示")
            typed += len("看護師 例示")
            listed = d.find_element(By.ID, "finalize-carried").text
            assert "提案" in listed and "背景" not in listed, listed
            assert not d.find_element(By.ID, "confirm-finalize").is_enabled()
            d.find_element(By.ID, "confirm-carried").click()
            typed += 1
            d.find_element(By.ID, "confirm-finalize").click()
            WebDriverWait(d, 10).until(lambda x: "確定済み" in x.find_element(By.CSS_SELECTOR, ".record-head").text)
            shot(d, "41-carried-finalized")
        finally:
            d.quit()

    # a blank form: the patient, today's facts, and every carried field typed again
    carried_text = sum(len(fixture[k]) for k in ("room", "background", "assessment", "recommendation"))
    blank = len(PID) + len(NAME) + sum(len(v) for v in TODAY.values()) + len(extra) \
        + carried_text + 2 + len("看護師 例示")  # code status and isolation: one key each
    with_carry = len(PID) + len(NAME) + typed
    figures = {
        "sbar_keystrokes_blank_form": blank,
        "sbar_keystrokes_copy_forward": with_carry,
        "fewer_percent": round(100 * (blank - with_carry) / blank, 1),
    }
    out = ROOT / "target" / "e2e-figures"
    out.mkdir(parents=True, exist_ok=True)
    (out / "carry.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps(figures))
    assert with_carry < blank


def test_a_stock_phrase_is_found_by_romaji_and_inserted_with_the_keyboard(app):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.action_chains import ActionChains
    app.find_element(By.ID, "user").send_keys("看護師 例示")
    app.find_element(By.ID, "start").click()
    app.find_element(By.ID, "nav-new").click()
    app.find_element(By.CSS_SELECTOR, '[data-template="sbar-handover"]').click()
    app.find_element(By.ID, "patient-id").send_keys("DEMO-PH-1")
    app.find_element(By.ID, "patient-name").send_keys("架空 次郎")
    app.find_element(By.ID, "create").click()
    situation = app.find_element(By.ID, "f-situation")
    situation.send_keys("本日、")
    ActionChains(app).key_down(Keys.CONTROL).send_keys(" ").key_up(Keys.CONTROL).perform()
    WebDriverWait(app, 5).until(lambda x: x.find_elements(By.ID, "phrase-picker"))
    app.find_element(By.ID, "phrase-filter").send_keys("tokki")
    WebDriverWait(app, 5).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "li.phrase-option")) == 1)
    app.find_element(By.ID, "phrase-filter").send_keys(Keys.ENTER)
    WebDriverWait(app, 5).until(lambda x: not x.find_elements(By.ID, "phrase-picker"))
    assert situation.get_attribute("value") == "本日、特記すべき変化なし。"
    # the insertion saves like typing does
    WebDriverWait(app, 10).until(lambda x: "保存済み" in x.find_element(By.ID, "save-state").text)
    WebDriverWait(app, 10).until(lambda x: "特記すべき変化なし" in x.find_element(By.ID, "preview").text)
    # F2 opens it too (where the input method takes Ctrl+Space), here in kana
    rec = app.find_element(By.ID, "f-recommendation")
    rec.send_keys(Keys.F2)
    WebDriverWait(app, 5).until(lambda x: x.find_elements(By.ID, "phrase-picker"))
    app.find_element(By.ID, "phrase-filter").send_keys("りしょう")
    WebDriverWait(app, 5).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "li.phrase-option")) == 1)
    app.find_element(By.ID, "phrase-filter").send_keys(Keys.ENTER)
    assert rec.get_attribute("value") == "離床時は付き添ってください。"
    shot(app, "42-phrase-inserted")
