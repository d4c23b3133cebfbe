// Focus inside modal dialogs: the keyboard starts inside the dialog, Tab and Shift+Tab go round
// its controls only, focus that lands behind it (a click on the backdrop, a timer, a screen
// behind that re-renders) is brought back, and when it closes the focus returns to the control
// that opened it.

const FOCUSABLE = [
  "a[href]", "button:not([disabled])", "input:not([disabled]):not([type=hidden])", "select:not([disabled])",
  "textarea:not([disabled])", "[tabindex]:not([tabindex='-1'])",
].join(",");

/** The controls of `root` the Tab key reaches, in document order (visible ones only). */
export function focusables(root: ParentNode): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.closest("[inert]") && (el.offsetParent !== null || el.getClientRects().length > 0),
  );
}

/** Where Tab (or Shift+Tab) from `current` goes among `list`, wrapping round; null when the
 * browser's own order already stays inside (the middle of the list). */
export function nextInCycle<T>(list: T[], current: T | null, back: boolean): T | null {
  if (list.length === 0) return null;
  const i = current === null ? -1 : list.indexOf(current);
  if (i === -1) return back ? list[list.length - 1] : list[0];
  if (back && i === 0) return list[list.length - 1];
  if (!back && i === list.length - 1) return list[0];
  return null;
}

// dialogs open on top of each other (a confirmation over a dialog): only the top one traps
const stack: HTMLElement[] = [];

/** Svelte action for a modal dialog's box. The first control marked `data-autofocus`, else the
 * first text input, else the first control takes the focus when the dialog opens. */
export function modal(node: HTMLElement, opts: { onescape?: () => void } = {}) {
  let options = opts;
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  stack.push(node);
  const top = () => stack[stack.length - 1] === node;

  function first(): HTMLElement | null {
    const list = focusables(node);
    return node.querySelector<HTMLElement>("[data-autofocus]:not([disabled])")
      ?? list.find((el) => el.matches("input:not([type=checkbox]):not([type=radio]), textarea"))
      ?? list[0] ?? null;
  }

  function keydown(e: KeyboardEvent) {
    if (!top()) return;
    if (e.key === "Escape" && options.onescape && !e.isComposing) {
      e.preventDefault();
      e.stopPropagation();
      options.onescape();
      return;
    }
    if (e.key !== "Tab") return;
    const target = nextInCycle(focusables(node), document.activeElement as HTMLElement | null, e.shiftKey);
    if (target) { e.preventDefault(); target.focus(); }
  }

  function focusin(e: FocusEvent) {
    if (!top() || node.contains(e.target as Node)) return;
    (first() ?? node).focus();
  }

  if (!node.hasAttribute("tabindex")) node.tabIndex = -1;
  queueMicrotask(() => { if (!node.contains(document.activeElement)) (first() ?? node).focus(); });
  document.addEventListener("keydown", keydown, true);
  document.addEventListener("focusin", focusin);
  return {
    update(next: { onescape?: () => void }) { options = next ?? {}; },
    destroy() {
      document.removeEventListener("keydown", keydown, true);
      document.removeEventListener("focusin", focusin);
      const at = stack.indexOf(node);
      if (at !== -1) stack.splice(at, 1);
      // back to the control that opened it, when it is still on the screen
      queueMicrotask(() => {
        const top = stack[stack.length - 1];
        const usable = opener && opener.isConnected && !opener.hasAttribute("disabled");
        // a dialog still open under this one keeps the focus: its opener if that is inside
        // it (a field of the finalize dialog under the locked screen), else its first control
        if (top && !(usable && top.contains(opener))) {
          if (!top.contains(document.activeElement)) (focusables(top)[0] ?? top).focus();
          return;
        }
        if (usable) opener.focus();
      });
    },
  };
}

/** Enter that confirms (not one that commits an input method's conversion: WebKit reports
 * `isComposing` false on it, keyCode 229 tells). */
export function isConfirmingEnter(e: KeyboardEvent): boolean {
  return e.key === "Enter" && !e.isComposing && e.keyCode !== 229;
}

/** Svelte action: the element takes the focus when it appears (a screen's first control), unless
 * a dialog is open or the focus is already in a text control somewhere else. */
export function autofocus(node: HTMLElement, on: boolean = true) {
  if (!on) return;
  queueMicrotask(() => {
    if (stack.length || document.querySelector(".lock-overlay")) return;
    const at = document.activeElement;
    if (at && at !== document.body && at.matches("input, textarea, select")) return;
    node.focus();
  });
}
