"""Sync back in the real app: records reach a real FHIR server (Medplum's engine), a refused
record shows the server's reason and is fixed and resent, a temporary patient ID is mapped."""
import json
import subprocess
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import CLI, DEMO, fhir_stats as stats, finalized, new_session, shot


def cli(data: Path, *args: str) -> str:
    return subprocess.run([str(CLI), "--data-dir", str(data), *args], check=True,
                          capture_output=True, text=True).stdout


def count(d, what: str) -> int:
    return int(d.find_element(By.CSS_SELECTOR, f'[data-count="{what}"]').text)


def test_sync_screen_sends_shows_refusals_and_maps_temporary_ids(driver_server, fhir_server):
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-sync-") as tmp:
        data = Path(tmp)
        (data / "config.toml").write_text(
            f'[sync]\nendpoint = "{fhir_server}"\nproduction = false\ncheck_interval_secs = 3600\n')
        ok = [finalized(data, "sbar-handover", f"P-00{i}", "架空 太郎") for i in range(3)]
        bad = finalized(data, "nursing-soap", "UNKNOWN-1", "架空 未登録")
        finalized(data, "nursing-soap", "DT-20261121-0900-ABC", "救急 仮名")
        d = new_session([DEMO, "--data-dir", str(data)])
        try:
            d.find_element(By.ID, "user").send_keys("看護師 見本")
            d.find_element(By.ID, "start").click()
            d.find_element(By.ID, "nav-sync").click()
            WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "sync-counts"))
            # the server is reachable: the app syncs by itself (at start, then every interval)
            for _ in range(3):
                if count(d, "acknowledged") == 3:
                    break
                d.find_element(By.ID, "nav-list").click()
                d.find_element(By.ID, "nav-sync").click()
                WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "sync-counts"))
                WebDriverWait(d, 20).until(lambda x: count(x, "acknowledged") == 3)
            assert count(d, "rejected") == 1 and count(d, "held") == 1 and count(d, "pending") == 0
            WebDriverWait(d, 20).until(lambda x: x.find_element(By.ID, "unsent-count").text == "2")
            row = d.find_element(By.CSS_SELECTOR, f'[data-record="{bad}"]')
            assert "unknown patient UNKNOWN-1" in row.text, row.text
            assert stats(fhir_server).get("DocumentReference") == 3
            shot(d, "21-sync-refused")
            # fix: the temporary ID and the mistyped ID are mapped to real ones; resend
            d.find_element(By.CSS_SELECTOR, '[data-real-id="DT-20261121-0900-ABC"]').send_keys("P-0100")
            d.find_element(By.CSS_SELECTOR, '[data-map="DT-20261121-0900-ABC"]').click()
            WebDriverWait(d, 10).until(lambda x: "P-0100" in x.find_element(By.ID, "sync-message").text)
            cli(data, "sync", "map", "UNKNOWN-1", "P-0101")
            d.find_element(By.CSS_SELECTOR, f'[data-resend="{bad}"]').click()
            WebDriverWait(d, 10).until(lambda x: count(x, "pending") == 2)
            d.find_element(By.ID, "sync-now").click()
            WebDriverWait(d, 60).until(lambda x: count(x, "acknowledged") == 5)
            assert count(d, "rejected") == 0 and count(d, "held") == 0
            assert stats(fhir_server).get("DocumentReference") == 5
            shot(d, "22-sync-done")
        finally:
            d.quit()
        report = json.loads(cli(data, "sync", "report", "--json"))
        assert {r["state"] for r in report["rows"]} == {"acknowledged"}
        assert ok[0] in {r["record_id"] for r in report["rows"]}
