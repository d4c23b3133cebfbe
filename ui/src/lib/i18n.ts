// UI texts, Japanese first. The core returns codes; their wording lives here.
import type { FieldError, L10n } from "./types";

export type Lang = "ja" | "en";

const T = {
  appName: ["Hikae 控え", "Hikae"],
  statusNormal: ["通常運用", "Normal operation"],
  offline: ["ネットワーク不要・この端末に保存", "Works offline; saved on this PC"],
  user: ["記録者（氏名）", "Your name"],
  role: ["職種", "Role"],
  start: ["はじめる", "Start"],
  newRecord: ["新しい記録", "New record"],
  records: ["記録一覧・検索", "Records and search"],
  procedures: ["ダウンタイム手順", "Downtime procedures"],
  settings: ["設定", "Settings"],
  chooseType: ["記録の種類を選んでください", "Choose the type of record"],
  approvedUse: ["用途", "Approved use"],
  patient: ["患者", "Patient"],
  patientId: ["患者ID", "Patient ID"],
  patientName: ["氏名", "Name"],
  tempId: ["仮IDを発行（後で照合）", "Issue a temporary ID (reconcile later)"],
  tempIdNote: ["仮IDです。復旧後に正式なIDと照合してください。", "Temporary ID: map it to the real ID after recovery."],
  recentPatients: ["最近の患者", "Recent patients"],
  create: ["作成する", "Create"],
  back: ["戻る", "Back"],
  required: ["必須", "required"],
  addRow: ["行を追加", "Add row"],
  removeRow: ["行を削除", "Remove row"],
  saved: ["保存済み", "Saved"],
  saving: ["保存中…", "Saving…"],
  saveFailed: ["保存できませんでした。入力内容は画面に残っています。", "Could not save. Your text is still on screen."],
  retry: ["再試行", "Retry"],
  preview: ["プレビュー（印刷と同じ内容）", "Preview (same as print)"],
  finalize: ["確定する", "Finalize"],
  finalizeTitle: ["記録を確定します", "Finalize this record"],
  author: ["記録者", "Author"],
  reviewer: ["最終確認者", "Final reviewer"],
  confirm: ["確定", "Finalize"],
  cancel: ["キャンセル", "Cancel"],
  finalized: ["確定済み（読み取り専用）", "Finalized (read-only)"],
  draft: ["下書き", "Draft"],
  correct: ["訂正版を作成", "Make a correction"],
  reason: ["訂正理由", "Reason"],
  copyText: ["テキストをコピー（電子カルテ貼付用）", "Copy text (for the EHR)"],
  copied: ["コピーしました", "Copied"],
  fixFirst: ["確定の前に直す項目", "Fix before finalizing"],
  search: ["検索（患者・内容）", "Search (patient, text)"],
  all: ["すべて", "All"],
  language: ["表示言語", "Language"],
  textSize: ["文字の大きさ", "Text size"],
  dataDir: ["データの保存先", "Data folder"],
  packs: ["テンプレート集", "Template packs"],
  noRecords: ["記録はありません", "No records"],
  printPdf: ["印刷 / PDF保存", "Print / save PDF"],
  pdfSaved: ["PDFを保存しました", "PDF saved"],
  pages: ["ページ", "pages"],
  substituted: ["次の文字はフォントにないため〓で印刷されました。紙の控えを確認してください：", "These characters are not in the font and print as 〓; check the paper copy:"],
  print: ["印刷 / PDF", "Print / PDF"],
  printTitle: ["印刷", "Print"],
  printer: ["プリンタ", "Printer"],
  copies: ["部数", "Copies"],
  printNow: ["印刷する", "Print"],
  savePdfAs: ["PDFとして保存…", "Save as PDF…"],
  noPrinter: ["この端末にはプリンタが設定されていません。PDFとして保存し、印刷できる端末で印刷してください。", "No printer is set up on this PC. Save as PDF and print it from a PC that can."],
  sentToPrinter: ["印刷を送信しました", "Sent to the printer"],
  job: ["ジョブ", "job"],
  close: ["閉じる", "Close"],
  working: ["作成中…", "Preparing…"],
  selected: ["件を選択", "selected"],
  selectAll: ["表示中をすべて選択", "Select all shown"],
  clearSelection: ["選択を解除", "Clear selection"],
  printSelected: ["選択した記録をまとめて印刷", "Print the selected records together"],
  recordsCount: ["件の記録", " records"],
  staffId: ["職員ID", "Staff ID"],
  why: ["理由", "Reason"],
  pin: ["PIN（暗証番号）", "PIN"],
  login: ["ログイン", "Log in"],
  breakGlass: ["緊急アクセス（ブレークグラス）", "Emergency access (break-glass)"],
  breakGlassNote: ["アカウントが使えないときの緊急用です。病棟の緊急コード（封緘保管）が必要です。利用はすべて記録され、4時間で失効し、復旧後に管理者が確認します。", "For when your account cannot be used. Needs the ward's sealed emergency code. Everything is logged, expires after 4 hours, and is reviewed after recovery."],
  breakGlassReasonHint: ["例：認証基盤停止のため、応援勤務", "e.g. central login down, covering shift"],
  emergencyCode: ["緊急コード", "Emergency code"],
  breakGlassStart: ["緊急アクセスを開始", "Start emergency access"],
  breakGlassBand: ["緊急アクセス中（ブレークグラス）", "EMERGENCY ACCESS (break-glass)"],
  until: ["まで", "until"],
  lockedTitle: ["画面をロックしました", "Screen locked"],
  lockedNote: ["続けるには職員IDとPINを入力してください。同じ方なら元の画面に戻ります。", "Enter your staff ID and PIN to continue. The same person returns to the same screen."],
  lockNow: ["ロック", "Lock"],
  autoLock: ["自動ロックまでの時間（分）", "Auto-lock after (minutes)"],
  notEncrypted: ["この端末のデータは暗号化されていません（デモ・開発用）。病棟では管理者が暗号化を設定します。", "The data on this PC is not encrypted (demo / development). On a ward, the administrator sets up encryption."],
  auditTitle: ["監査ログ", "Audit log"],
  auditIntact: ["改ざんは検出されていません（ハッシュ連鎖を確認済み）", "No tampering found (hash chain verified)"],
  auditBroken: ["改ざんを検出しました", "Tampering detected"],
  auditActor: ["実施者", "Who"],
  auditRecord: ["記録ID", "Record ID"],
  auditAction: ["操作", "Action"],
  auditDetail: ["目的・区分・詳細", "Purpose, category, detail"],
  datePlaceholder: ["日付（例 2026/11/21）", "Date (e.g. 2026/11/21)"],
  shownCount: ["件を表示中", " shown"],
  showMore: ["さらに100件表示", "Show 100 more"],
  anyType: ["すべての種類", "All types"],
  date: ["日付", "Date"],
  roleAll: ["全員", "Everyone"],
  stepsDone: ["実施済み", "done"],
  runStarted: ["開始", "Started"],
  runEnded: ["終了", "Ended"],
  notStarted: ["未開始：最初のチェックで開始されます", "Not started: the first tick starts it"],
  endRun: ["この対応を終了する", "End this run"],
  newRun: ["新しく開始", "Start a new run"],
  printBlank: ["白紙の用紙を印刷", "Print a blank sheet"],
  contact: ["連絡先", "Contact"],
  basis: ["根拠", "Basis"],
} satisfies Record<string, [string, string]>;

export const ROLE: Record<string, [string, string]> = {
  nurse: ["看護師", "Nurse"],
  charge_nurse: ["リーダー・管理者看護師", "Charge nurse"],
  doctor: ["医師", "Doctor"],
  clerk: ["医療クラーク・事務", "Clerk"],
  it: ["情報システム担当", "IT"],
  admin: ["管理者", "Administrator"],
};

export function roleName(lang: Lang, role: string): string {
  return ROLE[role]?.[lang === "ja" ? 0 : 1] ?? role;
}

export type Key = keyof typeof T;

export function t(lang: Lang, key: Key): string {
  return T[key][lang === "ja" ? 0 : 1];
}

export function l10n(lang: Lang, text: L10n | null | undefined): string {
  if (!text) return "";
  return lang === "en" && text.en ? text.en : text.ja;
}

/** A field problem in words, saying what to do. */
export function problemText(lang: Lang, e: FieldError): string {
  const p = e.problem;
  const ja: Record<string, string> = {
    required: "入力してください（必須）",
    unknown_field: "この様式にない項目です",
    wrong_type: "入力の形式が違います",
    not_a_number: "数字で入力してください",
    below_min: `${p.min} 以上の値を入力してください`,
    above_max: `${p.max} 以下の値を入力してください`,
    bad_date: "日付を 2026/11/21 の形で入力してください",
    bad_datetime: "日時を 2026/11/21 14:30 の形で入力してください",
    unknown_option: "選択肢から選んでください",
    too_long: "長すぎます",
    not_single_line: "1行で入力してください",
    too_few_rows: "行が足りません",
  };
  const en: Record<string, string> = {
    required: "Required: please fill in",
    unknown_field: "Not a field of this form",
    wrong_type: "Wrong kind of value",
    not_a_number: "Enter a number",
    below_min: `Enter ${p.min} or more`,
    above_max: `Enter ${p.max} or less`,
    bad_date: "Enter a date like 2026/11/21",
    bad_datetime: "Enter a date and time like 2026/11/21 14:30",
    unknown_option: "Choose one of the options",
    too_long: "Too long",
    not_single_line: "Use a single line",
    too_few_rows: "More rows needed",
  };
  return (lang === "ja" ? ja : en)[p.code] ?? p.code;
}
