"""Keyboard only: every built-in template is completed and finalized in the real app without the
mouse. Keys go to whatever has the focus (no element is clicked or addressed), so a control the
keyboard cannot reach, a focus that lands behind a dialog or a missing shortcut fails the test.
Dates go in as shortcuts (today, 14:30, 昨日), selects by their first letters. Keystrokes per
template go to target/e2e-figures/keyboard.json (docs/PERFORMANCE.md)."""
import datetime as dt
import contextlib
import json
import tempfile
import time
import tomllib
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import DEMO, ROOT, finalized, new_session, shot

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
        self.started = time.monotonic()
        # time spent on checks that are not part of writing the record (see `uncounted`)
        self.excluded = 0.0

    @contextlib.contextmanager
    def uncounted(self):
        """Keys sent inside (the tests' own focus checks) count neither as keystrokes nor time."""
        count, t0 = self.count, time.monotonic()
        try:
            yield
        finally:
            self.count = count
            self.excluded += time.monotonic() - t0

    def seconds(self) -> float:
        return round(time.monotonic() - self.started - self.excluded, 1)

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

    def tab_to_id(self, element_id: str, limit: int = 40, back: bool = False) -> None:
        self.tab_to(lambda e: e.get_attribute("id") == element_id, limit, back)

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


def login_and_new(kb: Keyboard, tid: str, pid: str, from_previous: bool) -> None:
    """Start screen → Ctrl+N → the template's tile → the patient → a draft, by keyboard."""
    d = kb.d
    # the start screen: the name field has the focus, Enter starts
    WebDriverWait(d, 10).until(lambda _: kb.active_id() == "user")
    kb.chord(Keys.CONTROL, "a")  # the name of the last user may be there
    kb.send("看護師 例示", Keys.ENTER)
    WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "nav-new"))
    # Ctrl+N: the template tiles, the first has the focus
    kb.chord(Keys.CONTROL, "n")
    WebDriverWait(d, 5).until(lambda _: kb.active().get_attribute("data-template"))
    kb.tab_to(lambda e: e.get_attribute("data-template") == tid)
    kb.send(Keys.ENTER)
    # the patient: ID has the focus, then the name; Enter creates a blank draft, or Tab on to
    # 「前回から作成」 and Enter starts from the patient's previous record
    WebDriverWait(d, 5).until(lambda _: kb.active_id() == "patient-id")
    kb.send(pid)
    kb.tab_to_id("patient-name", limit=4)
    kb.send("架空 鍵盤")
    if from_previous:
        kb.tab_to_id("create-from-previous", limit=4)
        kb.send(Keys.ENTER)
        WebDriverWait(d, 10).until(lambda x: x.find_elements(By.ID, "carried-note"))
    else:
        kb.send(Keys.ENTER)
    # the draft opens with the focus in its first field
    WebDriverWait(d, 10).until(lambda _: kb.active_id().startswith("f-"))


def fill_required(kb: Keyboard, fields: list[dict], values: dict, phrases: dict[str, tuple[str, str]]) -> dict:
    """Types every required field that is still empty (a carried one is left for the finalize
    tick); a field in `phrases` gets its stock phrase (F2, the query, Enter: field → (query,
    the text it inserts))."""
    shortcuts = {"date": 0, "datetime": 0, "phrases": 0, "carried": 0}
    for f in fields:
        if not f.get("required"):
            continue
        if f["type"] != "table":
            el = kb.d.find_element(By.ID, f"f-{f['id']}")
            if (el.get_attribute("value") or "").strip():
                shortcuts["carried"] += 1
                continue
            kb.tab_to_id(f"f-{f['id']}")
        else:
            # a table's first control is its "＋ row" button (the table itself holds no rows yet)
            kb.tab_to_id(f"f-{f['id']}-add")
        if f["id"] in phrases:
            kb.send(Keys.F2)
            WebDriverWait(kb.d, 5).until(lambda _: kb.active_id() == "phrase-filter")
            query, text = phrases[f["id"]]
            kb.send(query)
            WebDriverWait(kb.d, 5).until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "li.phrase-option")) == 1)
            kb.send(Keys.ENTER)
            WebDriverWait(kb.d, 5).until(lambda _: kb.active_id() == f"f-{f['id']}")
            # the same text the blank-form script types for this field
            assert kb.active().get_attribute("value") == text, f["id"]
            shortcuts["phrases"] += 1
            continue
        fill_field(kb, f, values.get(f["id"]), shortcuts)
    WebDriverWait(kb.d, 10).until(lambda x: x.find_element(By.ID, "save-state").text.startswith("保存済み"))
    return shortcuts


def finalize(kb: Keyboard, check_focus: bool) -> None:
    """Ctrl+Enter opens the finalize dialog; the reviewer field has the focus and Enter
    finalizes (carried text still unconfirmed: Shift+Tab to the tick, Space, Tab back)."""
    d = kb.d
    kb.chord(Keys.CONTROL, Keys.ENTER)
    WebDriverWait(d, 5).until(lambda _: kb.active_id() == "reviewer")
    if check_focus:
        with kb.uncounted():
            dialog_keeps_focus(kb, "record-dialog")
            # Escape closes it and gives the focus back to the form; Ctrl+Enter opens it again
            kb.send(Keys.ESCAPE)
            WebDriverWait(d, 5).until(lambda x: not x.find_elements(By.ID, "record-dialog"))
            assert kb.active_id().startswith("f-"), kb.describe()
            kb.chord(Keys.CONTROL, Keys.ENTER)
            WebDriverWait(d, 5).until(lambda _: kb.active_id() == "reviewer")
    kb.send("看護師 例示")
    if d.find_elements(By.ID, "confirm-carried"):
        kb.tab_to_id("confirm-carried", limit=3, back=True)
        kb.send(Keys.SPACE)
        kb.tab_to_id("reviewer", limit=3)
    kb.send(Keys.ENTER)
    WebDriverWait(d, 10).until(lambda x: "確定済み" in x.find_element(By.CSS_SELECTOR, ".record-head").text)


def save_figures(key: str, figures: dict) -> None:
    out = ROOT / "target" / "e2e-figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "keyboard.json"
    all_ = json.loads(path.read_text()) if path.exists() else {}
    all_[key] = figures
    path.write_text(json.dumps(all_, indent=1, ensure_ascii=False))


# the stock phrase each copy-forward script takes, by its romaji query, and the text it inserts
# (the blank-form script types that same text, so that both scripts write the same record)
PHRASES = {"sbar-handover": {"situation": ("tokki", "特記すべき変化なし。")},
           "discharge-summary": {"plan": ("jikai", "次回外来で経過を確認する。")}}


def values_of(tid: str) -> dict:
    """The demo fixture's values, with the phrase fields' text as their phrase inserts it."""
    return {**FIXTURES[tid], **{f: text for f, (_, text) in PHRASES.get(tid, {}).items()}}


@pytest.mark.parametrize("tid", template_ids())
def test_every_template_is_finalized_with_the_keyboard_only(app, tid):
    kb = Keyboard(app)
    login_and_new(kb, tid, f"DEMO-KB-{tid[:10]}", from_previous=False)
    used = fill_required(kb, form(tid)["fields"], values_of(tid), {})
    finalize(kb, check_focus=True)
    seconds = kb.seconds()
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
    save_figures(tid, {"keystrokes": kb.count, "seconds": seconds, **used})




@pytest.mark.parametrize("tid", sorted(PHRASES))
def test_copy_forward_and_phrases_scripted_the_same_way(driver_server, tid):
    """The same patient's previous record of the template (finalized through the CLI), then
    today's: started with 「前回から作成」, the empty required fields typed as on a blank form,
    one field by its stock phrase, the carried ones confirmed with the finalize tick."""
    with tempfile.TemporaryDirectory(prefix="hikae-e2e-kbcf-") as t:
        data = Path(t)
        pid = f"DEMO-CF-{tid[:6]}"
        finalized(data, tid, pid, "架空 鍵盤")
        d = new_session([DEMO, "--data-dir", str(data)])
        try:
            kb = Keyboard(d)
            login_and_new(kb, tid, pid, from_previous=True)
            used = fill_required(kb, form(tid)["fields"], values_of(tid), PHRASES[tid])
            finalize(kb, check_focus=False)
            seconds = kb.seconds()
        finally:
            d.quit()
    assert used["phrases"] == 1
    save_figures(f"{tid} (前回から作成 + 定型文)", {"keystrokes": kb.count, "seconds": seconds, **used})
