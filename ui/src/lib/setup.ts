// Pure logic of the first-run setup screen (no Tauri, no DOM): unit-tested in setup.test.ts.
// The core checks the same rules again (crates/auth check_secret); checking here first means
// a typing slip is caught before anything is encrypted.

/** PINs: at least this many digits. */
export const PIN_MIN = 6;
/** Passphrases (anything that is not only digits): at least this many characters. */
export const PASSPHRASE_MIN = 10;

/** Characters as the core counts them (Unicode scalar values, not UTF-16 units). */
function length(s: string): number {
  return [...s].length;
}

/** A PIN of at least 6 digits, or a passphrase of at least 10 characters. */
export function strongEnough(secret: string): boolean {
  const n = length(secret);
  return (/^[0-9]+$/.test(secret) && n >= PIN_MIN) || n >= PASSPHRASE_MIN;
}

export type SetupForm = { adminId: string; pin: string; pin2: string; code: string; code2: string };

export type SetupProblem =
  | "adminIdMissing"
  | "pinWeak"
  | "pinMismatch"
  | "codeWeak"
  | "codeMismatch"
  | "codeSameAsPin";

/** What is wrong with the form, in the order of its fields (empty: ready to set up). */
export function setupProblems(f: SetupForm): SetupProblem[] {
  const out: SetupProblem[] = [];
  if (!f.adminId.trim()) out.push("adminIdMissing");
  if (!strongEnough(f.pin)) out.push("pinWeak");
  else if (f.pin !== f.pin2) out.push("pinMismatch");
  if (!strongEnough(f.code)) out.push("codeWeak");
  else if (f.code !== f.code2) out.push("codeMismatch");
  // the emergency code is shared with the ward (sealed): it must not open the admin account too
  if (f.code && f.code === f.pin) out.push("codeSameAsPin");
  return out;
}

/** Which field a problem belongs to (its input is marked). */
export function problemField(p: SetupProblem): keyof SetupForm {
  switch (p) {
    case "adminIdMissing": return "adminId";
    case "pinWeak": return "pin";
    case "pinMismatch": return "pin2";
    case "codeWeak": case "codeSameAsPin": return "code";
    case "codeMismatch": return "code2";
  }
}

