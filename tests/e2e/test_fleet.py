"""The administrator's fleet screen in the real app: two PCs report through the CLI (one with a
finalized record not yet sent), this PC sends its own from the screen, and the screen lists all
three against the test FHIR server, what needs attention first; axe-core finds nothing."""
import subprocess
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import CLI, DEMO, demo_start, axe_violations, fhir_stats, finalized, new_session, shot


def configure(data: Path, endpoint: str, label: str) -> None:
    (data / "config.toml").write_text(
        f'[sync]\nendpoint = "{endpoint}"\nproduction = false\ncheck_interval_secs = 3600\n'
        f'[fleet]\nlabel = "{label}"\nheartbeat_minutes = 0\n')


def test_the_fleet_screen_lists_every_pc_and_what_needs_attention(driver_server, fhir_server):
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-fleet-") as t:
        root = Path(t)
        for label, unsent in [("5E-PC1", True), ("5E-PC2", False)]:
            data = root / label
            data.mkdir()
            subprocess.run([str(CLI), "--data-dir", str(data), "templates"], check=True, stdout=subprocess.DEVNULL)
            configure(data, fhir_server, label)
            if unsent:
                finalized(data, "nursing-soap", "DEMO-FL-1", "架空 端末")
            subprocess.run([str(CLI), "--data-dir", str(data), "selftest"], stdout=subprocess.DEVNULL)
            subprocess.run([str(CLI), "--data-dir", str(data), "fleet", "heartbeat"], check=True, stdout=subprocess.DEVNULL)
        assert fhir_stats(fhir_server).get("Device") == 2
        admin = root / "admin"
        admin.mkdir()
        subprocess.run([str(CLI), "--data-dir", str(admin), "templates"], check=True, stdout=subprocess.DEVNULL)
        configure(admin, fhir_server, "ADMIN-PC")
        d = new_session([DEMO, "--data-dir", str(admin)])
        try:
            demo_start(d, "管理者 例示")
            d.find_element(By.ID, "nav-fleet").click()
            WebDriverWait(d, 15).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "#fleet-list [data-device]")) == 2)
            # this PC reports itself from the screen
            d.find_element(By.ID, "fleet-heartbeat").click()
            WebDriverWait(d, 15).until(lambda x: x.find_elements(By.ID, "fleet-heartbeat-result"))
            WebDriverWait(d, 15).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "#fleet-list [data-device]")) == 3)
            rows = d.find_elements(By.CSS_SELECTOR, "#fleet-list [data-device]")
            text = d.find_element(By.ID, "fleet-list").text
            for label in ["5E-PC1", "5E-PC2", "ADMIN-PC"]:
                assert label in text, text
            # nobody has drilled: every PC is flagged for it
            assert len(d.find_elements(By.CSS_SELECTOR, '#fleet-list li[data-flag="no_recent_drill"]')) == 3
            # unready first: each row has flags; the summary counts them
            assert all(int(r.get_attribute("data-flags")) > 0 for r in rows)
            assert d.find_element(By.ID, "fleet-summary").get_attribute("data-total") == "3"
            shot(d, "70-fleet")
            found = axe_violations(d, "fleet")
            assert not found, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
        finally:
            d.quit()
        assert fhir_stats(fhir_server).get("Device") == 3


def test_this_pc_checks_the_signed_channel_from_the_fleet_screen(driver_server):
    """A drop-folder channel published by the CLI: the screen shows the pinned root, "Check now"
    verifies and installs the release (a config fragment), and the state then shows release 1."""
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-channel-") as t:
        root = Path(t)
        channel, keys, admin = root / "channel", root / "keys", root / "admin"
        run = lambda *a: subprocess.run([str(CLI), *a], check=True, stdout=subprocess.DEVNULL)
        run("fleet", "channel-init", str(channel), "--keys", str(keys))
        (root / "ward.toml").write_text("[monitor]\ninterval_secs = 45\n")
        run("fleet", "publish", str(channel), "--keys", str(keys), "--config", str(root / "ward.toml"))
        admin.mkdir()
        run("--data-dir", str(admin), "templates")
        (admin / "config.toml").write_text(f'[channel]\nfolder = "{channel}"\ncheck_minutes = 0\n')
        run("--data-dir", str(admin), "fleet", "channel-trust", str(channel / "root.json"))
        d = new_session([DEMO, "--data-dir", str(admin)])
        try:
            demo_start(d, "管理者 例示")
            d.find_element(By.ID, "nav-fleet").click()
            state = WebDriverWait(d, 15).until(lambda x: x.find_element(By.ID, "channel-state"))
            assert state.get_attribute("data-root") == "1"
            assert state.get_attribute("data-release") == "0", "nothing fetched yet"
            d.find_element(By.ID, "channel-check").click()
            done = WebDriverWait(d, 15).until(lambda x: x.find_element(By.ID, "channel-checked"))
            assert "1 件を導入しました" in done.text, done.text
            assert not d.find_elements(By.ID, "channel-refused")
            WebDriverWait(d, 15).until(
                lambda x: x.find_element(By.ID, "channel-state").get_attribute("data-release") == "1")
            assert "interval_secs = 45" in (admin / "config.toml").read_text()
            # unchanged now: one request
            d.find_element(By.ID, "channel-check").click()
            WebDriverWait(d, 15).until(
                lambda x: x.find_element(By.ID, "channel-checked").get_attribute("data-requests") == "1")
            shot(d, "71-fleet-channel")
        finally:
            d.quit()
