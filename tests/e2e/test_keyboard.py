"""Keyboard only: every built-in template is completed and finalized in the real app without the
mouse. Keys go to whatever has the focus (no element is clicked or addressed), so a control the
keyboard cannot reach, a focus that lands behind a dialog or a missing shortcut fails the test.
Dates go in as shortcuts (today, 14:30, 昨日), selects by their first letters. Keystrokes per
template go to target/e2e-figures/keyboard.json (docs/PERFORMANCE.md)."""
import datetime as dt
import json
import time
import tomllib

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, shot

FIXTURES = {r["template"]: r["values"] for r in json.loads((ROOT / "data" / "demo" / "records.json").read_text())
            if r.get("final_reviewer")}
PACK = tomllib.loads((ROOT / "templates" / "pack.toml").read_text())
JST = dt.timezone(dt.timedelta(hours=9))


def template_ids() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "templates").glob("*/form.toml"))


def form(tid: str) -> dict:
    return tomllib.loads((ROOT / "templates" / tid / "form.toml").read_text())


class Keyboard:
    """Sends keys to the focused element only, and counts them."""

    def __init__(self, driver):
        self.d = driver
        self.count = 0

    def send(self, *keys: str) -> None:
        for k in keys:
            ActionChains(self.d).send_keys(k).perform()
            # a special key (Tab, Enter: one private-use character) is one keystroke; text is
            # one per character
            self.count += len(k)

    def chord(self, modifier: str, key: str) -> None:
        ActionChains(self.d).key_down(modifier).send_keys(key).key_up(modifier).perform()
        self.count += 1

    def active(self):
        return self.d.switch_to.active_element

    def active_id(self) -> str:
        return self.active().get_attribute("id") or ""

    def tab_to(self, match, limit: int = 40, back: bool = False) -> None:
        """Tab (or Shift+Tab) until `match(active element)`; fails if the keyboard cannot get there."""
        for _ in range(limit):
            if match(self.active()):
                return
            if back:
                self.chord(Keys.SHIFT, Keys.TAB)
            else:
                self.send(Keys.TAB)
        assert match(self.active()), f"not reached with the keyboard; the focus is on {self.describe()}"

    def tab_to_id(self, element_id: str, limit: int = 40) -> None:
        self.tab_to(lambda e: e.get_attribute("id") == element_id, limit)

    def describe(self) -> str:
        return self.d.execute_script(
            "const e = document.activeElement; return e ? `${e.tagName}#${e.id}.${e.className}` : 'nothing'")


def shortest_prefix(options: list[dict], value: str) -> str:
    """The first letters that pick `value` (as the select's type-ahead matches: value or English
    label, first match wins)."""
    want = next(i for i, o in enumerate(options) if o["value"] == value)
    for n in range(1, len(value) + 1):
        p = value[:n].lower()
        hit = next((i for i, o in enumerate(options)
                    if o["value"].lower().startswith(p) or o.get("en", "").lower().startswith(p)), -1)
        if hit == want:
            return value[:n]
    return value


def jst_now() -> dt.datetime:
    return dt.datetime.now(JST)


def fill_field(kb: Keyboard, f: dict, value, shortcut_used: dict) -> None:
    """Types one field's value with the keyboard; the focus is on its control."""
    fid = f"f-{f['id']}"
    kind = f["type"]
    el = kb.active()
    if kind == "date":
        # shortcuts: today's date from "t", expanded on Enter
        kb.send("t", Keys.ENTER)
        want = jst_now().strftime("%Y/%m/%d")
        WebDriverWait(kb.d, 5).until(lambda _: el.get_attribute("value") == want)
        shortcut_used["date"] += 1
    elif kind == "datetime":
        # "14:30" is today at 14:30; every other one yesterday's ("昨日 08:15")
        if shortcut_used["datetime"] % 2 == 0:
            kb.send("14:30", Keys.ENTER)
            want = jst_now().strftime("%Y/%m/%d") + " 14:30"
        else:
            kb.send("昨日 08:15", Keys.ENTER)
            want = (jst_now() - dt.timedelta(days=1)).strftime("%Y/%m/%d") + " 08:15"
        WebDriverWait(kb.d, 5).until(lambda _: el.get_attribute("value") == want)
        shortcut_used["datetime"] += 1
    elif kind == "select":
        kb.send(shortest_prefix(f["options"], value))
        WebDriverWait(kb.d, 5).until(lambda _: el.get_attribute("value") == value)
    elif kind == "checkbox":
        if value is True:
            kb.send(Keys.SPACE)
            assert el.is_selected()
    elif kind == "table":
        # the table starts empty: "＋ row" adds the first row (Enter on the focused button), Enter
        # in a row's last cell adds the next one; the focus goes into the new row
        required = [c for c in f["columns"] if c.get("required")] or f["columns"][:1]
        rows = value if value else []
        assert rows, f"fixture has no rows for {f['id']}"
        kb.tab_to_id(f"{fid}-add")
        kb.send(Keys.ENTER)
        for i, row in enumerate(rows):
            cols = f["columns"]
            WebDriverWait(kb.d, 5).until(lambda _: kb.active_id() == f"{fid}-{i}-0")
            for ci, c in enumerate(cols):
                kb.tab_to_id(f"{fid}-{i}-{ci}", limit=3)
                text = str(row.get(c["id"], "")) if c in required else ""
                if text:
                    kb.send(text)
            if i < len(rows) - 1:
                kb.send(Keys.ENTER)  # in the last cell: a new row
    else:
        kb.send(str(value))
    assert kb.active_id().startswith(fid), f"{f['id']}: the focus left the field ({kb.describe()})"


def dialog_keeps_focus(kb: Keyboard, dialog_id: str, presses: int = 14) -> None:
    """Tab and Shift+Tab go round the dialog's controls and never behind it."""
    for i in range(presses):
        if i < presses // 2:
            kb.send(Keys.TAB)
        else:
            kb.chord(Keys.SHIFT, Keys.TAB)
        inside = kb.d.execute_script(
            "return !!document.getElementById(arguments[0])?.contains(document.activeElement)", dialog_id)
        assert inside, f"the focus went behind #{dialog_id}: {kb.describe()}"


@pytest.mark.parametrize("tid", template_ids())
def test_every_template_is_finalized_with_the_keyboard_only(app, tid):
    fields = form(tid)["fields"]
    values = FIXTURES[tid]
    kb = Keyboard(app)
    started = time.monotonic()
    # the start screen: the name field has the focus, Enter starts
    WebDriverWait(app, 10).until(lambda _: kb.active_id() == "user")
    kb.chord(Keys.CONTROL, "a")  # the name of the last user may be there
    kb.send("看護師 例示", Keys.ENTER)
    WebDriverWait(app, 10).until(lambda x: x.find_elements(By.ID, "nav-new"))
    # Ctrl+N: the template tiles, the first has the focus
    kb.chord(Keys.CONTROL, "n")
    WebDriverWait(app, 5).until(lambda _: kb.active().get_attribute("data-template"))
    kb.tab_to(lambda e: e.get_attribute("data-template") == tid)
    kb.send(Keys.ENTER)
    # the patient: ID has the focus, then the name, Enter creates
    WebDriverWait(app, 5).until(lambda _: kb.active_id() == "patient-id")
    kb.send(f"DEMO-KB-{tid[:10]}")
    kb.tab_to_id("patient-name", limit=4)
    kb.send("架空 鍵盤", Keys.ENTER)
    # the draft opens with the focus in its first field
    WebDriverWait(app, 10).until(lambda _: kb.active_id().startswith("f-"))
    shortcuts = {"date": 0, "datetime": 0}
    for f in fields:
        if not f.get("required"):
            continue
        target = f"f-{f['id']}" if f["type"] != "table" else None
        if target:
            kb.tab_to_id(target)
        else:
            # a table's first control is its "＋ row" button (the table itself holds no rows yet)
            kb.tab_to_id(f"f-{f['id']}-add")
        fill_field(kb, f, values.get(f["id"]), shortcuts)
    WebDriverWait(app, 10).until(lambda x: x.find_element(By.ID, "save-state").text.startswith("保存済み"))
    # Ctrl+Enter opens the finalize dialog; the reviewer field has the focus and Enter finalizes
    kb.chord(Keys.CONTROL, Keys.ENTER)
    WebDriverWait(app, 5).until(lambda _: kb.active_id() == "reviewer")
    dialog_keeps_focus(kb, "record-dialog")
    # Escape closes it and gives the focus back to the form; Ctrl+Enter opens it again
    kb.send(Keys.ESCAPE)
    WebDriverWait(app, 5).until(lambda x: not x.find_elements(By.ID, "record-dialog"))
    assert kb.active_id().startswith("f-"), kb.describe()
    kb.chord(Keys.CONTROL, Keys.ENTER)
    WebDriverWait(app, 5).until(lambda _: kb.active_id() == "reviewer")
    kb.send("看護師 例示", Keys.ENTER)
    WebDriverWait(app, 10).until(lambda x: "確定済み" in x.find_element(By.CSS_SELECTOR, ".record-head").text)
    seconds = time.monotonic() - started
    # the print dialog from the keyboard: Ctrl+P, the focus inside, Escape closes
    kb.chord(Keys.CONTROL, "p")
    WebDriverWait(app, 5).until(lambda x: x.find_elements(By.ID, "paper-dialog"))
    WebDriverWait(app, 5).until(lambda x: x.execute_script(
        "return document.getElementById('paper-dialog').contains(document.activeElement)"))
    dialog_keeps_focus(kb, "paper-dialog", presses=8)
    kb.send(Keys.ESCAPE)
    WebDriverWait(app, 5).until(lambda x: not x.find_elements(By.ID, "paper-dialog"))
    if tid == "discharge-summary":
        shot(app, "50-keyboard-finalized")

    out = ROOT / "target" / "e2e-figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "keyboard.json"
    figures = json.loads(path.read_text()) if path.exists() else {}
    figures[tid] = {"keystrokes": kb.count, "seconds": round(seconds, 1),
                    "date_shortcuts": shortcuts["date"], "datetime_shortcuts": shortcuts["datetime"]}
    path.write_text(json.dumps(figures, indent=1, ensure_ascii=False))
