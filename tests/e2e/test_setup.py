"""First run on a new PC: a folder that is not set up shows the setup screen (never an
unencrypted start), the administrator sets it up in the app, the recovery key is shown once,
and the data is encrypted; --demo instead opens it as a demo, marked on every screen."""
import re
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import DEMO, new_session, shot

ADMIN, PIN, CODE = "A0001", "246810", "135790"


def wait_text(driver, css: str, text: str, timeout: float = 10):
    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element(By.CSS_SELECTOR, css).text)


def type_into(driver, element_id: str, text: str):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def test_first_run_setup_encrypts_the_pc_and_shows_the_recovery_key_once(driver_server):
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-setup-") as tmp:
        data = Path(tmp)
        d = new_session(["--data-dir", str(data)])  # no --demo: a new PC
        try:
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "setup-admin-id"))
            assert not d.find_elements(By.ID, "user"), "no unencrypted start on a PC that is not set up"
            assert not d.find_elements(By.ID, "demo-banner")
            shot(d, "41-setup")

            # a typing slip is caught before anything is encrypted
            type_into(d, "setup-admin-id", ADMIN)
            type_into(d, "setup-pin", PIN)
            type_into(d, "setup-pin2", "246811")
            type_into(d, "setup-code", CODE)
            type_into(d, "setup-code2", CODE)
            d.find_element(By.ID, "setup-submit").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "setup-error"))
            text = d.find_element(By.ID, "setup-error").text
            assert "一致しません" in text or "do not match" in text, text
            assert not d.find_elements(By.ID, "recovery-key")
            assert not (data / "keyring.json").exists(), "nothing is set up after a mismatch"
            shot(d, "42-setup-mismatch")

            type_into(d, "setup-pin2", PIN)
            d.find_element(By.ID, "setup-submit").click()
            WebDriverWait(d, 120).until(lambda x: x.find_elements(By.ID, "recovery-key"))
            key = d.find_element(By.ID, "recovery-key").text.strip()
            assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){7}", key), key
            # Continue waits until the administrator says the key is written down
            assert not d.find_element(By.ID, "setup-continue").is_enabled()
            shot(d, "43-recovery-key")
            d.find_element(By.ID, "recovery-saved").click()
            assert d.find_element(By.ID, "recovery-saved").is_selected()
            assert d.find_element(By.ID, "setup-continue").is_enabled()

            # the folder is encrypted, and the recovery key is stored nowhere in clear
            assert (data / "keyring.json").is_file()
            db = data / "hikae.db"
            assert db.is_file()
            assert not db.read_bytes().startswith(b"SQLite format 3"), "the database is encrypted"
            for f in data.rglob("*"):
                if f.is_file():
                    assert key.encode() not in f.read_bytes(), f
            stored = d.execute_script("return JSON.stringify(Object.assign({}, localStorage));")
            assert key not in stored, "the recovery key is not kept in the webview either"

            d.find_element(By.ID, "setup-continue").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "staff-id"))
            assert not d.find_elements(By.ID, "setup-admin-id")
            assert not d.find_elements(By.ID, "recovery-key"), "the key is shown only once"
            protection = d.find_element(By.ID, "protection")
            assert protection.get_attribute("data-protection") in {"tpm", "passphrase", "pin"}, protection.text
            assert protection.text.strip(), "the start screen says what protects the data"
            shot(d, "44-login-after-setup")

            # the administrator's new PIN opens the data
            d.find_element(By.ID, "staff-id").send_keys(ADMIN)
            d.find_element(By.ID, "pin").send_keys(PIN + Keys.ENTER)
            WebDriverWait(d, 60).until(lambda x: x.find_elements(By.ID, "lock-now"))
            wait_text(d, "#status-band", ADMIN)
            assert not d.find_elements(By.ID, "login")
            shot(d, "45-logged-in-after-setup")
        finally:
            d.quit()

        # a restart: the login screen, never the setup screen again
        d = new_session(["--data-dir", str(data)])
        try:
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "staff-id"))
            assert not d.find_elements(By.ID, "setup-admin-id")
            assert d.find_element(By.ID, "protection").get_attribute("data-protection") in {"tpm", "passphrase", "pin"}
        finally:
            d.quit()


def test_demo_mode_is_marked_on_every_screen(driver_server):
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-demo-") as tmp:
        d = new_session([DEMO, "--data-dir", tmp])
        try:
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "demo-banner"))
            assert not d.find_elements(By.ID, "setup-admin-id"), "demo mode skips the setup"
            assert "demo" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "").split()
            assert d.find_element(By.ID, "protection").get_attribute("data-protection") == "demo"
            shot(d, "46-demo-start")
            d.find_element(By.ID, "user").send_keys("看護師 見本")
            d.find_element(By.ID, "start").click()
            d.find_element(By.ID, "nav-settings").click()
            assert d.find_element(By.ID, "demo-banner").is_displayed(), "the banner stays after the start"
            assert not (Path(tmp) / "keyring.json").exists()
        finally:
            d.quit()
