// UI texts, Japanese first. The core returns codes; their wording lives here.
import type { ErrorCode } from "./generated/errors";
import { describeChar } from "./form";
import type { SetupProblem } from "./setup";
import type { FieldError, FormDef, L10n, MilestoneKey, Problem, ServiceKind, ServiceState, Unprintable } from "./types";

export type Lang = "ja" | "en";

const T = {
  appName: ["Hikae 控え", "Hikae"],
  statusNormal: ["通常運用", "Normal operation"],
  offline: ["ネットワーク不要・この端末に保存", "Works offline; saved on this PC"],
  syncTitle: ["送信状況（病院サーバーへの同期）", "Sync to the hospital server"],
  syncNav: ["送信状況", "Sync"],
  syncNow: ["今すぐ送信", "Send now"],
  syncNoEndpoint: ["送信先が設定されていません（この端末だけで運用中）。管理者が config.toml の [sync] endpoint を設定すると送信できます。", "No server is configured (this PC works alone). An administrator sets [sync] endpoint in config.toml."],
  syncTo: ["送信先", "Server"],
  syncAcknowledged: ["受領済み", "Received"],
  syncPending: ["送信待ち", "Waiting"],
  syncRejected: ["受付拒否（要対応）", "Refused (action needed)"],
  syncHeld: ["仮ID対応付け待ち", "Waiting for ID mapping"],
  syncDrafts: ["未確定（送信しない）", "Drafts (not sent)"],
  syncSending: ["送信中", "Sending"],
  syncWaiting: ["再試行待ち", "Waiting to retry"],
  syncDone: ["送信完了", "Done"],
  syncUnreachable: ["サーバーに接続できません。未送信の記録はこの端末に残り、接続が戻ると自動で送信します。", "The server cannot be reached. Unsent records stay on this PC and are sent when it is back."],
  syncCancelled: ["中断しました（未送信の記録は残っています）", "Stopped (unsent records are kept)"],
  syncUnmapped: ["本IDへの対応付けが必要な仮患者ID", "Temporary patient IDs to map to real IDs"],
  syncRealId: ["本ID", "Real ID"],
  syncRealName: ["登録氏名（異なる場合）", "Registered name (if different)"],
  syncMap: ["対応付ける", "Map"],
  syncMapped: ["件の記録を本IDで送信します", "records will be sent under the real ID"],
  syncResend: ["修正して再送", "Resend"],
  syncReport: ["照合レポートを印刷", "Print the reconciliation report"],
  syncReportWhat: ["同期照合レポート", "Reconciliation report"],
  syncUnsent: ["未送信", "Unsent"],
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
  // characters no installed font has: a warning at the field, and in the finalize dialog
  unprintable: ["印刷できない文字があります（紙では〓になります）：{chars}", "Characters that cannot be printed (they print as 〓): {chars}"],
  unprintablePatient: ["患者氏名", "Patient name"],
  finalizeUnprintable: ["次の項目は紙では〓で印刷されます。確定はできますが、印刷した紙の控えを確認し、必要なら手書きで補ってください。", "These entries print as 〓 on paper. You can still finalize, but check the printed copy and write the characters in by hand if needed."],
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
  statusFilter: ["状態で絞り込む", "Filter by status"],
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
  // service status line
  svcAi: ["生成AIサービス", "Generative AI"],
  svcIdp: ["認証基盤", "Central login (IdP)"],
  svcEhr: ["電子カルテ(FHIR)", "EHR (FHIR)"],
  svcOther: ["その他のサービス", "Other service"],
  stateUp: ["稼働中", "up"],
  stateDegraded: ["不安定", "degraded"],
  stateDown: ["停止", "down"],
  stateUnknown: ["確認中", "checking"],
  since: ["〜", " since"],
  lastChecked: ["最終確認", "Last checked"],
  lastError: ["最後のエラー", "Last error"],
  // declared downtime
  downtimeBand: ["ダウンタイム運用中", "DOWNTIME in force"],
  downtimeSince: ["{time}〜（{services}停止）", "since {time} ({services} down)"],
  downtimeEnded: ["ダウンタイムを終了しました。復旧手順に沿って、紙記録の後入力と送信を行ってください。", "The downtime has ended. Follow the recovery procedure: back-enter paper records and send them."],
  scopeWard: ["病棟", "Ward"],
  scopeHospital: ["病院全体", "Whole hospital"],
  scope: ["範囲", "Scope"],
  declaredBy: ["宣言", "Declared by"],
  openProcedure: ["手順を開く", "Open the procedure"],
  endDowntime: ["終了", "End"],
  declareDowntime: ["ダウンタイムを宣言", "Declare downtime"],
  declareTitle: ["ダウンタイムを宣言します", "Declare a downtime"],
  declareNote: ["宣言すると全端末の画面上部に表示され、この間の記録には「ダウンタイム時作成」と印字されます。", "Once declared it shows at the top of the screen, and records made meanwhile are printed as made during downtime."],
  declareServices: ["停止しているサービス", "Services that are down"],
  declareReason: ["理由・状況", "Reason / situation"],
  declareReasonHint: ["例：電子カルテが14:05から応答しない。情報システム担当に連絡済み。", "e.g. the EHR has not answered since 14:05; IT has been called."],
  declareConfirm: ["宣言する", "Declare"],
  endTitle: ["ダウンタイムを終了します", "End the downtime"],
  endNote: ["メモ（任意）", "Note (optional)"],
  endNoteHint: ["例：15:40 電子カルテ復旧を確認。紙記録の後入力を開始。", "e.g. EHR back at 15:40; back-entry of paper records started."],
  endConfirm: ["終了する", "End downtime"],
  endAfter: ["終了したら、復旧手順に沿って紙記録の後入力と送信を行ってください。", "After ending, follow the recovery procedure: back-enter paper records and send."],
  practiceDowntime: ["訓練（模擬ダウンタイム）", "Drill (practice downtime)"],
  // what the monitor suggests
  suggestDown: ["{services} が応答しません（{since}〜）。ダウンタイムを宣言しますか？", "{services} is not answering (since {since}). Declare a downtime?"],
  suggestDownOthers: ["{services} が応答しません（{since}〜）。リーダー看護師に知らせてください。", "{services} is not answering (since {since}). Tell the charge nurse."],
  suggestRecover: ["{services}が復旧しました。復旧手順と送信を行ってください", "{services} is back. Work through the recovery procedure and send the records."],
  openRecovery: ["復旧手順を開く", "Open the recovery procedure"],
  goSync: ["送信状況へ", "Go to sync"],
  notNow: ["今は閉じる", "Not now"],
  // drills
  drillNav: ["訓練", "Drill"],
  drillBand: ["訓練中 / DRILL", "DRILL / 訓練中"],
  drillId: ["訓練ID", "Drill ID"],
  drillBannerDetail: ["訓練ID {id}、開始 {time}（経過 {min}分）", "Drill ID {id}, started {time} ({min} min elapsed)"],
  drillOpen: ["訓練画面へ", "Open the drill"],
  drillTitle: ["ダウンタイム訓練", "Downtime drills"],
  drillIntro: ["シナリオを選んで訓練を開始します。訓練中に作成した記録はすべて「訓練 DRILL」と表示・印字され、本番の送信先には送られません。終了後に報告書を印刷し、訓練記録を削除できます。", "Choose a scenario to start a drill. Every record made during it is shown and printed as DRILL and never sent to the production server. Afterwards, print the report and remove the drill records."],
  drillScenarios: ["シナリオ", "Scenarios"],
  drillServices: ["想定する停止", "Simulated outage"],
  drillHours: ["想定時間", "Duration"],
  drillHoursUnit: ["時間", "h"],
  drillTargets: ["目標", "Targets"],
  drillProcedures: ["手順", "Procedures"],
  drillStart: ["この訓練を開始", "Start this drill"],
  drillOnlyLeaders: ["訓練の開始・終了はリーダー看護師または管理者が行います。", "A charge nurse or an administrator starts and ends drills."],
  drillHistory: ["これまでの訓練", "Past drills"],
  drillNoHistory: ["まだ訓練の記録はありません。", "No drills yet."],
  drillFirstRecord: ["初回記録", "First record"],
  drillFirstFinalized: ["初回確定", "First finalized"],
  drillFirstPrinted: ["初回印刷", "First printed"],
  drillMissed: ["未実施手順", "Missed steps"],
  drillState: ["状態", "State"],
  drillRunning: ["実施中", "Running"],
  drillEnded: ["終了", "Ended"],
  drillPurged: ["記録削除済み", "Records removed"],
  minutes: ["分", " min"],
  withinMin: ["{min}分以内", "within {min} min"],
  drillLive: ["訓練の進行状況", "Drill progress"],
  drillLiveNote: ["10秒ごとに更新します。", "Updates every 10 seconds."],
  drillNoDowntime: ["まだダウンタイムが宣言されていません。訓練でも、最初にダウンタイムを宣言してください。", "No downtime has been declared yet. In a drill too, start by declaring one."],
  drillDeclare: ["模擬ダウンタイムを宣言", "Declare the practice downtime"],
  milestone: ["到達点", "Milestone"],
  reachedAt: ["時刻", "Time"],
  afterMin: ["経過", "Minutes"],
  target: ["目標", "Target"],
  result: ["結果", "Result"],
  msMet: ["達成", "Met"],
  msLate: ["未達", "Missed target"],
  msDone: ["実施", "Done"],
  msWaiting: ["未到達", "Not yet"],
  msOverdue: ["目標超過", "Overdue"],
  msNotDone: ["未実施", "Not done"],
  steps: ["手順の実施", "Procedure steps"],
  stepBy: ["実施者", "By"],
  noSteps: ["まだ手順のチェックはありません。", "No steps ticked yet."],
  drillEndTitle: ["訓練を終了する", "End the drill"],
  drillSeen: ["記録上の参加者", "Seen taking part"],
  drillParticipants: ["参加者（1行に1人）", "Participants (one per line)"],
  drillNotes: ["経過メモ", "Notes"],
  drillFindings: ["気づいた点・課題", "Findings"],
  drillActions: ["改善策・次回までの対応", "Improvement actions"],
  drillEnd: ["訓練を終了して報告書を作成", "End the drill and make the report"],
  drillReport: ["訓練報告書", "Drill report"],
  drillPeriod: ["実施", "Held"],
  drillTimeline: ["時間経過（分）", "Timeline (minutes)"],
  drillTargetMark: ["縦線＝目標", "line = target"],
  drillMissedSteps: ["実施されなかった手順", "Steps not done"],
  drillNoMissed: ["すべての手順が実施されました。", "Every step was done."],
  drillRecords: ["訓練中の記録", "Records in the drill"],
  drillCreated: ["作成", "created"],
  drillFinalizedN: ["確定", "finalized"],
  drillPrintedN: ["印刷", "printed"],
  drillPrint: ["印刷 / PDF", "Print / PDF"],
  drillPurge: ["訓練記録を削除", "Remove the drill records"],
  drillPurgeTitle: ["訓練記録を削除します", "Remove the drill records"],
  drillPurgeNote: ["この訓練で作成した記録（訓練 DRILL）をすべて削除します。報告書と監査ログは残ります。元に戻せません。", "Removes every record made in this drill (DRILL). The report and the audit log stay. This cannot be undone."],
  drillPurgeYes: ["削除する", "Remove"],
  drillPurgedN: ["件の訓練記録を削除しました", "drill records removed"],
  drillPurgedAt: ["訓練記録は削除済みです", "Drill records were removed"],
  drillBackToList: ["訓練の一覧へ", "Back to drills"],
  drillReportWhat: ["訓練報告書", "Drill report"],
  drillBadge: ["訓練 DRILL", "DRILL 訓練"],
  drillNewNote: ["訓練中です。この記録は訓練記録（訓練 DRILL）になり、本番の送信先には送られません。", "A drill is running: this record is a drill record (DRILL) and is never sent to the production server."],
  msFirstLogin: ["最初のログイン", "First login"],
  msFirstRecord: ["最初の記録作成", "First record"],
  msFirstFinalized: ["最初の記録確定", "First record finalized"],
  msFirstPrinted: ["最初の印刷", "First printout"],
  msProceduresDone: ["手順の完了", "Procedures done"],
  // record context
  downtimeBadge: ["ダウンタイム", "Downtime"],
  paperBadge: ["紙から後入力", "From paper"],
  paperEntry: ["紙で記録した内容の後入力", "Back-entry of a paper record"],
  paperEntryNote: ["ダウンタイム中に紙に書いた記録を入力するときに選びます。元の記載日時と記載者が記録に残ります。", "Choose this when typing in a record first written on paper during the downtime. Its original time and author are kept."],
  paperWrittenAt: ["紙に記載した日時", "Written on paper at"],
  paperAuthor: ["紙に記載した人", "Written on paper by"],
  // 8-hour print pack
  packNav: ["紙運用セット", "Paper pack"],
  packTitle: ["紙運用セット（8時間分）の印刷", "Print the paper pack (8 hours)"],
  packIntro: ["電子カルテが止まる前に、または止まったときに、患者ごとの白紙様式・手順書・連絡先一覧をまとめて印刷します。", "Before or during an outage, print blank forms for each patient, the procedure checklists and the contact sheet in one go."],
  packPatients: ["患者", "Patients"],
  packRecent: ["病棟の患者（電子カルテの控え・この端末の最近の記録）", "Ward patients (EHR copy, recent records on this PC)"],
  packNoRecent: ["電子カルテの控えにも、この端末の記録にも患者がいません。下に入力してください。", "No patients in the EHR copy or in this PC's records yet: type them below."],
  packTyped: ["追加する患者（1行に1人「ID 氏名」）", "More patients (one per line: “ID Name”)"],
  packTypedHint: ["例：P-000123 架空 太郎", "e.g. P-000123 Taro Kaku"],
  packLineError: ["{line}行目「{text}」：IDと氏名をスペースで区切って入力してください", "Line {line} “{text}”: type the ID, a space, then the name"],
  packTooMany: ["一度に印刷できるのは200名までです", "At most 200 patients at a time"],
  packTemplates: ["患者ごとの白紙様式", "Blank forms per patient"],
  packProcedures: ["ダウンタイム手順書（全手順のチェックリスト）", "Downtime procedures (every checklist)"],
  packContacts: ["連絡先一覧", "Contact sheet"],
  packSnapshot: ["電子カルテの控え（患者一覧と患者ごとのサマリー）", "EHR copy (census and a summary per patient)"],
  packSnapshotCount: ["（{n}名）", " ({n} patients)"],
  packSnapshotNote: ["控えのすべての患者を印刷します（上で選んだ患者とは別。患者を選ばずにこれだけでも印刷できます）。", "Prints every patient in the copy (apart from the patients chosen; it can also be printed alone)."],
  packSnapshotNone: ["この端末の電子カルテの控えに患者がいないため選べません。", "Not available: this PC has no EHR copy with patients in it."],
  packSnapshotFailed: ["電子カルテの控えを読み込めなかったため選べません。", "Not available: the EHR copy could not be read."],
  packPlusSnapshot: ["＋ 電子カルテの控え（{n}名分）", "+ EHR copy ({n} patients)"],
  packWhatSnapshot: ["紙運用セット（電子カルテの控え）", "Paper pack (EHR copy)"],
  packSummary: ["{patients} 名 × {per} 枚 ＝ 様式 {forms} 枚", "{patients} patients × {per} sheets = {forms} forms"],
  packPlusProcedures: ["＋ 手順書 {n} 種", "+ {n} procedure checklists"],
  packPlusContacts: ["＋ 連絡先一覧", "+ contact sheet"],
  packGo: ["印刷 / PDF", "Print / PDF"],
  packWhat: ["紙運用セット（{n} 名）", "Paper pack ({n} patients)"],
  selectNone: ["すべて外す", "Select none"],
  selectEvery: ["すべて選ぶ", "Select all"],
  // demo mode (--demo)
  demoBadge: ["デモ DEMO", "DEMO デモ"],
  demoBand: ["デモモード：架空データのみ・暗号化されていません", "Demo mode: fictional data only, not encrypted"],
  // what protects the data at rest, on the start screen
  protectionLabel: ["データの保護", "Data protection"],
  protTpm: ["このPCのTPMで保護", "Protected by this PC's TPM"],
  protPassphrase: ["パスフレーズで保護（TPMなし）", "Protected by passphrases (no TPM)"],
  protPin: ["PINのみで保護（TPMなし）", "PINs only (no TPM)"],
  protPinDetail: ["TPMがないため、持ち出されたディスクのPINは総当たりで破られるおそれがあります。管理者に相談してください。", "Without a TPM, PINs on a copied disk can be guessed. Talk to the administrator."],
  protDemo: ["デモ：暗号化されていません", "Demo: not encrypted"],
  protNone: ["未設定（暗号化されていません）", "Not set up (not encrypted)"],
  // first-run setup (once per PC, by the administrator)
  setupTitle: ["初回設定", "First-run setup"],
  setupIntro: ["このPCの記録を暗号化します。設定は最初に1回だけ、管理者が行います。", "This encrypts the records on this PC. It is done once, by the administrator."],
  setupAdminId: ["管理者の職員ID", "Administrator's staff ID"],
  setupPin: ["管理者のPINまたはパスフレーズ", "Administrator's PIN or passphrase"],
  setupPinAgain: ["PINまたはパスフレーズ（確認のためもう一度）", "PIN or passphrase (again, to check)"],
  setupSecretHint: ["6桁以上の数字、または10文字以上のパスフレーズ", "At least 6 digits, or a passphrase of 10 characters or more"],
  setupCode: ["病棟の緊急コード（ブレークグラス用）", "The ward's emergency code (break-glass)"],
  setupCodeAgain: ["緊急コード（確認のためもう一度）", "Emergency code (again, to check)"],
  setupCodeHint: ["アカウントが使えないときの緊急アクセスに使います。6桁以上の数字、または10文字以上。封筒に入れて封緘保管してください。", "For emergency access when accounts cannot be used. At least 6 digits, or 10 characters or more. Keep it in a sealed envelope."],
  setupSubmit: ["設定して暗号化する", "Set up and encrypt"],
  setupWorking: ["暗号化しています…", "Encrypting…"],
  setupAdminIdMissing: ["管理者の職員IDを入力してください。", "Enter the administrator's staff ID."],
  setupPinWeak: ["PINは6桁以上の数字、パスフレーズは10文字以上にしてください。", "Use a PIN of at least 6 digits, or a passphrase of at least 10 characters."],
  setupPinMismatch: ["確認のPIN（パスフレーズ）が一致しません。もう一度入力してください。", "The two PINs (passphrases) do not match. Enter them again."],
  setupCodeWeak: ["緊急コードは6桁以上の数字、または10文字以上にしてください。", "Use an emergency code of at least 6 digits, or at least 10 characters."],
  setupCodeMismatch: ["確認の緊急コードが一致しません。もう一度入力してください。", "The two emergency codes do not match. Enter them again."],
  setupCodeSameAsPin: ["緊急コードは管理者のPINと別のものにしてください。", "The emergency code must differ from the administrator's PIN."],
  setupDone: ["設定が完了しました。このPCの記録は暗号化されています。", "Setup is complete. The records on this PC are encrypted."],
  recoveryTitle: ["回復キー（この一度だけ表示します）", "Recovery key (shown only this once)"],
  recoveryNote: ["この回復キーを紙に書き写し、金庫に保管してください。すべてのPINが失われたときに、データを開くためのものです。どこにも保存されず、二度と表示されません。", "Write this recovery key down on paper and keep it in the safe. It opens the data if every PIN is lost. It is not stored anywhere and will not be shown again."],
  recoverySaved: ["控えました", "I have written it down"],
  setupContinue: ["続ける", "Continue"],
  // the ward snapshot: census and patient summary (a read-only copy of the EHR)
  censusNav: ["患者一覧（控え）", "Census (copy)"],
  censusTitle: ["患者一覧（電子カルテの控え）", "Census (copy of the EHR)"],
  censusIntro: ["電子カルテから取り込んだ読み取り専用の控えです。控えの時点より後の変更（新しい指示・処方など）は含まれません。", "A read-only copy taken from the EHR. Changes made after the time of the copy (new orders, prescriptions…) are not in it."],
  censusSearch: ["検索（病床・氏名・カナ・患者ID）", "Search (bed, name, kana, patient ID)"],
  censusKeys: ["↑↓で患者を選び、Enterで開きます", "↑↓ to choose a patient, Enter to open"],
  censusRefresh: ["電子カルテから更新", "Refresh from the EHR"],
  censusRefreshing: ["電子カルテから更新中…", "Refreshing from the EHR…"],
  censusRefreshed: ["電子カルテから更新しました（{n}名）", "Refreshed from the EHR (patients: {n})"],
  censusRefreshFailed: ["電子カルテから更新できませんでした。表示中の控えはそのまま残っています（控えの時点を確認して使ってください）。", "Could not refresh from the EHR. The copy shown is intact (check its time before relying on it)."],
  censusRefreshRunning: ["更新はすでに実行中です。終わると一覧が新しくなります。", "A refresh is already running. The list updates when it ends."],
  censusEmptyTitle: ["電子カルテの控えはまだありません", "There is no copy of the EHR yet"],
  censusEmpty: ["控えは、この端末が電子カルテ（FHIRサーバー）に接続できる間に自動で作られ、定期的に更新されます。対象の病棟は、管理者が config.toml の [snapshot] wards に設定します。更新されないまま保存期間を過ぎた控えは削除されます。", "The copy is made automatically, and kept up to date, while this PC can reach the EHR (FHIR) server. An administrator names the wards in config.toml, section [snapshot] wards. A copy not refreshed within the retention period is deleted."],
  censusLoading: ["読み込み中…", "Loading…"],
  censusCount: ["{n}名", "Patients: {n}"],
  censusMatches: ["（一致 {n}名）", " (matching: {n})"],
  censusNoMatch: ["該当する患者はいません", "No matching patients"],
  censusNoPatients: ["この病棟の入院患者は控えにありません", "No inpatients of this ward in the copy"],
  censusAgo: ["（{time}前）", " ({time} ago)"],
  censusMinutes: ["{m}分", "{m} min"],
  censusHours: ["{h}時間{m}分", "{h} h {m} min"],
  colBed: ["病床", "Bed"],
  colAgeSex: ["年齢・性別", "Age / sex"],
  colAllergy: ["アレルギー", "Allergies"],
  colUpdated: ["最終更新", "Last updated"],
  allergyCount: ["アレルギーあり {n}件", "Allergies: {n}"],
  allergyNone: ["記録なし", "None recorded"],
  allergyNoneNote: ["記録なし（アレルギーがないことを意味しません）", "None recorded (this does not mean there are no allergies)"],
  ageYears: ["{n}歳", "{n} y"],
  sexMale: ["男性", "male"],
  sexFemale: ["女性", "female"],
  sexOther: ["その他", "other"],
  sexUnknown: ["不明", "unknown"],
  summaryBack: ["患者一覧に戻る（Esc）", "Back to the census (Esc)"],
  summaryBirth: ["生年月日", "Born"],
  summaryWardBed: ["病棟・病床", "Ward / bed"],
  summaryAdmitted: ["入院日", "Admitted"],
  summaryAttending: ["主治医", "Attending"],
  summaryDepartment: ["診療科", "Department"],
  summaryReason: ["入院理由", "Reason for admission"],
  summaryComplaint: ["主訴", "Chief complaint"],
  summaryHigh: ["重篤度：高", "High criticality"],
  summaryReaction: ["症状", "Reaction"],
  summaryRecorded: ["記録日", "Recorded"],
  summaryMedications: ["処方中の薬", "Active medications"],
  summaryRoute: ["経路", "Route"],
  summarySince: ["開始", "Since"],
  summaryProblems: ["病名・問題", "Problems"],
  summaryOnset: ["発症", "Onset"],
  summaryVitals: ["最新のバイタルサイン", "Latest vital signs"],
  summaryDocuments: ["他の端末のダウンタイム記録", "Downtime records from other PCs"],
  summaryNone: ["控えに記録なし", "None in the copy"],
  summaryNewTitle: ["この患者で記録を作成", "New record for this patient"],
  summaryNewIntro: ["様式を選ぶと、患者ID・氏名と様式が定める項目を控えから転記した下書きが開きます。転記した内容は確認・編集できます。", "Choose a form: a draft opens with the patient ID, the name and the form's mapped fields filled in from the copy. You can check and edit them."],
  summaryNewNoId: ["控えにこの患者の患者IDがないため、ここからは作成できません。「新しい記録」から患者IDを入力して作成してください。", "The copy has no patient ID for this patient, so a record cannot be started here. Use “New record” and type the ID."],
  summaryNewCreating: ["記録を作成しています…", "Starting the record…"],
  // a record started from the snapshot: where its prefilled values came from
  prefilledMark: ["控えから転記", "From EHR copy"],
  prefillNote: ["電子カルテの控え（{time}時点）から転記しました。内容を確認してください。", "Filled in from the EHR copy (as of {time}). Check the entries."],
  prefillNoteMarked: ["転記した項目には「控えから転記」と表示しています。", "Fields filled in from it are marked “From EHR copy”."],
  // copy-forward: a record started from the patient's previous finalized record
  createFromPrevious: ["前回から作成", "Start from the last record"],
  createFromPreviousHelp: ["「前回から作成」は、この患者の同じ種類の最新の確定記録から、様式が認める項目を引き継いで始めます。引き継いだ項目は1つずつ確認が必要です。", "“Start from the last record” copies the fields the form allows from this patient's latest finalized record of this type. Each copied field must be checked."],
  createFromPreviousPaper: ["紙からの後入力では「前回から作成」は使えません。", "“Start from the last record” is not available for a back-entry from paper."],
  fromPreviousNone: ["この患者には、この種類の確定済みの記録がまだないため、前回から作成できません。新しく作成してください。", "This patient has no finalized record of this type yet, so there is nothing to start from. Start a new record instead."],
  summaryFromPrevious: ["前回から", "From last record"],
  summaryFromPreviousLabel: ["{title}を前回から作成", "{title}: from last record"],
  summaryFromPreviousIntro: ["「前回から」は、この患者の同じ様式の最新の確定記録から引き継いで作成します（引き継いだ項目は確認が必要です）。", "“From last record” starts from this patient's latest finalized record of that form (each carried field must be checked)."],
  carriedMark: ["前回から引き継ぎ・未確認", "Carried over — check"],
  carriedMarkConfirmed: ["引き継ぎ・確認済み", "Carried — checked"],
  carriedConfirm: ["確認", "Confirm"],
  carriedConfirmLabel: ["{label}の引き継ぎ内容を確認", "Confirm carried-over {label}"],
  carriedNote: ["前回記録（{time} {author}）から {n} 項目を引き継ぎました。各項目を確認してください（未確認 {m}）。", "Started from the last record ({time}, {author}). Fields carried over: {n}. Check each one (unchecked: {m})."],
  carriedNoteDone: ["前回記録（{time} {author}）から {n} 項目を引き継ぎました。すべて確認済みです。", "Started from the last record ({time}, {author}). Fields carried over: {n}, all checked."],
  carriedNoteNone: ["前回記録（{time} {author}）から作成しました。引き継いだ項目はありません。", "Started from the last record ({time}, {author}). No fields were carried over."],
  finalizeCarried: ["次の項目は前回記録から引き継いだまま、まだ確認されていません。内容が今の患者の状態と合っているか確認してください。", "These fields were carried over from the last record and have not been checked. Make sure they are true of the patient now."],
  confirmCarried: ["引き継いだ内容が現在の状態と合っていることを確認しました", "I have checked that the carried-over text is still true"],
  carriedRefused: ["前回から引き継いだ項目に未確認のものがあります。内容を確認し、確認欄にチェックしてから確定してください。", "Some fields carried over from the last record are not checked yet. Check them, tick the box, then finalize."],
  // stock phrases (定型文): Ctrl+Space in a text field opens the picker
  phraseHint: ["Ctrl+Space / F2 定型文", "Ctrl+Space / F2 phrases"],
  phraseListLabel: ["{label}の定型文", "Phrases for {label}"],
  phraseFilter: ["定型文を検索（かな・ローマ字でも）", "Search phrases (kana or romaji too)"],
  phraseMine: ["マイ定型文", "Mine"],
  phraseDelete: ["マイ定型文「{text}」を削除", "Delete my phrase “{text}”"],
  phraseSave: ["＋ このフィールドの文を定型文に保存", "＋ Save this field's text as a phrase"],
  phraseSaveEmpty: ["フィールドに文がないため保存できません", "The field is empty: nothing to save"],
  phraseSaveExists: ["このフィールドの文はすでに定型文にあります", "This field's text is already a phrase"],
  phraseSaveTooLong: ["定型文は500文字までです", "A phrase is at most 500 characters"],
  phraseSaved: ["マイ定型文に保存しました", "Saved to my phrases"],
  phraseDeleted: ["マイ定型文を削除しました", "My phrase was deleted"],
  phraseNone: ["この項目の定型文はまだありません", "No phrases for this field yet"],
  phraseNoMatch: ["一致する定型文はありません", "No matching phrases"],
  phraseKeys: ["↑↓ 選ぶ　Enter 挿入　Esc 閉じる", "↑↓ choose · Enter insert · Esc close"],
  phraseLoadFailed: ["定型文を読み込めませんでした", "Could not load the phrases"],
  // quick input: shortcuts in date and datetime fields (lib/quickinput.ts)
  quickDateHint: ["今日・昨日・+1d・11/22 も入力できます", "Also: today, yesterday, +1d, 11/22"],
  quickDatetimeHint: ["今・昨日・+1d・14:30 も入力できます", "Also: now, yesterday, +1d, 14:30"],
  // under an error's text: the core's English message, for the administrator
  errorDetail: ["管理者向けの詳細：{message}", "Details for the administrator: {message}"],
  // the fleet: every PC's readiness, for the administrator (lib/fleet.ts)
  fleetNav: ["端末の準備状況", "Fleet"],
  fleetTitle: ["端末の準備状況", "Fleet readiness"],
  fleetIntro: ["各端末が病院サーバーに送った最新の状態です。対応が必要な端末から順に並んでいます。患者の情報は含みません。", "The latest status each PC sent to the hospital server, those needing attention first. It holds no patient data."],
  fleetServer: ["サーバー", "Server"],
  fleetAt: ["集計", "As of"],
  fleetRefresh: ["更新", "Refresh"],
  fleetLoading: ["読み込み中…", "Loading…"],
  fleetHeartbeat: ["この端末の状態を送信", "Send this PC's status"],
  fleetSending: ["送信中…", "Sending…"],
  fleetSent: ["この端末の状態を送信しました（{bytes}バイト、時計のずれ {offset}）", "This PC's status was sent ({bytes} bytes, clock offset {offset})"],
  fleetOffsetUnknown: ["不明", "unknown"],
  fleetSecs: ["{n}秒", "{n} s"],
  fleetSummary: ["{total}台中 {n}台に対応が必要", "{n} of {total} PCs need attention"],
  fleetSummaryOne: ["{total}台中 {n}台に対応が必要", "{n} of {total} PCs needs attention"],
  fleetSummaryUrgent: ["（緊急 {n}）", " ({n} urgent)"],
  fleetAllReady: ["{total}台すべて準備OK", "All {total} PCs are ready"],
  fleetEmpty: ["まだ端末からの報告がありません", "No PC has reported yet"],
  fleetEmptyNote: ["各端末は、ログイン中に病院サーバーへ定期的に状態を送ります（config.toml の [fleet] heartbeat_minutes）。この端末の状態は「この端末の状態を送信」で今すぐ送れます。", "Each PC sends its status to the hospital server regularly while someone is logged in ([fleet] heartbeat_minutes in config.toml). “Send this PC's status” sends this PC's now."],
  fleetColStatus: ["状態", "Status"],
  fleetColPc: ["端末", "PC"],
  fleetColVersion: ["アプリ版", "App version"],
  fleetColPacks: ["テンプレート集", "Packs"],
  fleetColRoster: ["職員名簿", "Roster"],
  fleetColUnsent: ["未送信", "Unsent"],
  fleetColSeen: ["最終報告", "Last report"],
  fleetColFlags: ["対応が必要なこと", "What needs attention"],
  fleetReady: ["準備OK", "Ready"],
  fleetUnready: ["要対応", "Needs attention"],
  fleetUrgentTag: ["緊急", "Urgent"],
  channelTitle: ["この端末の配信チャネル", "This PC's channel"],
  channelNone: ["配信チャネルは設定されていません（設定ファイルの [channel]）。パック・職員名簿・鍵は端末ごとに導入します。", "No channel is configured ([channel] in the config file): packs, the roster and keys are installed on each PC by hand."],
  channelNoRoot: ["{source} が設定されていますが、この端末はまだルートを信頼していません。管理者が hikae fleet channel-trust root.json で登録します。", "{source} is configured, but this PC trusts no channel root yet: an administrator pins it with hikae fleet channel-trust root.json."],
  channelSource: ["配信元", "Source"],
  channelRelease: ["リリース", "Release"],
  channelNoRelease: ["未取得", "none yet"],
  channelRoot: ["ルート", "Root"],
  channelChecked: ["最終確認", "Last checked"],
  channelNever: ["未確認", "never"],
  channelInstalledCount: ["配信から導入したファイル", "Files installed from the channel"],
  channelCheckNow: ["今すぐ確認", "Check now"],
  channelChecking: ["確認中…", "Checking…"],
  channelUnchanged: ["リリース {release} から変更はありません（{requests} リクエスト）", "Release {release} unchanged ({requests} request(s))"],
  channelUpdated: ["リリース {release}：{installed} 件を導入しました", "Release {release}: {installed} installed"],
  channelRefusedFiles: ["拒否されたファイル {n} 件：{list}", "{n} file(s) refused: {list}"],
  fleetUnreadable: ["読み取れなかった端末の報告", "Reports that could not be read"],
  fleetFlagSelfTestFailing: ["自己診断が失敗：{checks}", "Self-test failing: {checks}"],
  fleetFlagSelfTestFailingBare: ["自己診断が失敗", "Self-test failing"],
  fleetFlagUnsentOld: ["未送信{records}件（最古{hours}時間前）", "{records} unsent (oldest {hours} h ago)"],
  fleetFlagNotSeen: ["{hours}時間応答なし", "Not heard from for {hours} h"],
  fleetFlagPackBehind: ["パック {pack} {has}（最新 {newest}）", "Pack {pack} {has} (newest {newest})"],
  fleetFlagPackMissing: ["パック {pack} 未導入（最新 {newest}）", "Pack {pack} not installed (newest {newest})"],
  fleetFlagRosterBehind: ["職員名簿 v{has}（最新 v{newest}）", "Staff roster v{has} (newest v{newest})"],
  fleetFlagRosterMissing: ["職員名簿 未導入（最新 v{newest}）", "Staff roster not installed (newest v{newest})"],
  fleetFlagChannelRefused: ["配信の確認が拒否されています：{reason}", "Channel check refused: {reason}"],
  fleetFlagChannelBehind: ["配信リリース {has}（最新 {newest}）", "Channel release {has} (newest {newest})"],
  fleetFlagNoDrill: ["訓練{days}日間なし", "No drill for {days} days"],
  fleetFlagNeverDrilled: ["訓練の記録なし", "No drill on record"],
  fleetFlagClockOff: ["時計のずれ {secs}秒", "Clock off by {secs} s"],
  fleetFlagSelfTestStale: ["自己診断が{days}日以上前", "Last self-test {days} or more days ago"],
  fleetFlagSelfTestNever: ["自己診断の記録なし", "No self-test on record"],
  fleetFlagSelfTestWarn: ["自己診断の注意：{checks}", "Self-test warnings: {checks}"],
  fleetFlagSelfTestWarnBare: ["自己診断の注意", "Self-test warnings"],
} satisfies Record<string, [string, string]>;

export const ROLE: Record<string, [string, string]> = {
  nurse: ["看護師", "Nurse"],
  charge_nurse: ["リーダー看護師", "Charge nurse"],
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

/** A text with {name} placeholders filled in. */
export function tf(lang: Lang, key: Key, vars: Record<string, string | number>): string {
  return t(lang, key).replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

const SERVICE: Record<ServiceKind, Key> = { ai: "svcAi", idp: "svcIdp", ehr: "svcEhr", other: "svcOther" };
export function serviceName(lang: Lang, kind: ServiceKind): string {
  return t(lang, SERVICE[kind] ?? "svcOther");
}
export function serviceNames(lang: Lang, kinds: ServiceKind[]): string {
  return kinds.map((k) => serviceName(lang, k)).join(lang === "ja" ? "・" : ", ");
}
const STATE: Record<ServiceState, Key> = { up: "stateUp", degraded: "stateDegraded", down: "stateDown", unknown: "stateUnknown" };
export function stateName(lang: Lang, state: ServiceState): string {
  return t(lang, STATE[state] ?? "stateUnknown");
}
const MILESTONE: Record<MilestoneKey, Key> = {
  first_login: "msFirstLogin", first_record: "msFirstRecord", first_finalized: "msFirstFinalized",
  first_printed: "msFirstPrinted", procedures_done: "msProceduresDone",
};
/** A milestone's name; the core's Japanese label for keys this UI does not know. */
export function milestoneName(lang: Lang, key: MilestoneKey, label: string): string {
  const k = MILESTONE[key];
  return k ? t(lang, k) : label;
}

const PROTECTION: Record<string, Key> = {
  tpm: "protTpm", passphrase: "protPassphrase", pin: "protPin", demo: "protDemo", none: "protNone",
};
/** What protects the data (AppInfo.protection: "tpm", "passphrase", "pin", "demo", "none") in words. */
export function protectionText(lang: Lang, code: string): string {
  return Object.hasOwn(PROTECTION, code) ? t(lang, PROTECTION[code]) : code;
}
/** Whether the start screen shows the protection as a warning (not encrypted, or PINs without a TPM). */
export function protectionWeak(code: string): boolean {
  return code !== "tpm" && code !== "passphrase";
}
const SETUP_PROBLEM: Record<SetupProblem, Key> = {
  adminIdMissing: "setupAdminIdMissing", pinWeak: "setupPinWeak", pinMismatch: "setupPinMismatch",
  codeWeak: "setupCodeWeak", codeMismatch: "setupCodeMismatch", codeSameAsPin: "setupCodeSameAsPin",
};
/** A problem of the first-run setup form in words, saying what to do. */
export function setupProblemText(lang: Lang, p: SetupProblem): string {
  return t(lang, SETUP_PROBLEM[p]);
}

export function l10n(lang: Lang, text: L10n | null | undefined): string {
  if (!text) return "";
  return lang === "en" && text.en ? text.en : text.ja;
}

/** The warning for characters that print as 〓, each with its code point (`describeChar`). */
export function unprintableText(lang: Lang, chars: string[]): string {
  return tf(lang, "unprintable", { chars: chars.map(describeChar).join(lang === "ja" ? "、" : ", ") });
}

/** Where an unprintable entry is, in the form's words in `lang`: the field's label, `table row column`
 * for a cell (rows from 1, as in `cellPath`), the patient's name for `patient`; the core's
 * (Japanese) label when the path names nothing in the form. */
export function unprintableLabel(lang: Lang, form: FormDef, u: Unprintable): string {
  if (u.path === "patient") return t(lang, "unprintablePatient");
  const m = /^([^[.]+)(?:\[(\d+)\]\.(.+))?$/.exec(u.path);
  const f = m ? form.fields.find((x) => x.id === m[1]) : undefined;
  if (!m || !f) return u.label;
  if (m[2] === undefined) return l10n(lang, f.label);
  const c = f.columns.find((x) => x.id === m[3]);
  return c ? `${l10n(lang, f.label)} ${m[2]} ${l10n(lang, c.label)}` : u.label;
}

/** A field problem in words, saying what to do. */
export function problemText(lang: Lang, e: FieldError): string {
  const p = e.problem;
  const min = p.code === "below_min" ? p.min : undefined;
  const max = p.code === "above_max" ? p.max : undefined;
  const ja: Record<Problem["code"], string> = {
    required: "入力してください（必須）",
    unknown_field: "この様式にない項目です",
    wrong_type: "入力の形式が違います",
    not_a_number: "数字で入力してください",
    below_min: `${min} 以上の値を入力してください`,
    above_max: `${max} 以下の値を入力してください`,
    bad_date: "日付を 2026/11/21 の形で入力してください",
    bad_datetime: "日時を 2026/11/21 14:30 の形で入力してください",
    unknown_option: "選択肢から選んでください",
    too_long: "長すぎます",
    not_single_line: "1行で入力してください",
    too_few_rows: "行が足りません",
  };
  const en: Record<Problem["code"], string> = {
    required: "Required: please fill in",
    unknown_field: "Not a field of this form",
    wrong_type: "Wrong kind of value",
    not_a_number: "Enter a number",
    below_min: `Enter ${min} or more`,
    above_max: `Enter ${max} or less`,
    bad_date: "Enter a date like 2026/11/21",
    bad_datetime: "Enter a date and time like 2026/11/21 14:30",
    unknown_option: "Choose one of the options",
    too_long: "Too long",
    not_single_line: "Use a single line",
    too_few_rows: "More rows needed",
  };
  return (lang === "ja" ? ja : en)[p.code] ?? p.code;
}

/** Every error code of the core (ui/src/lib/generated/errors.ts) in words: what happened, then what to do. */
export const ERROR_TEXT = {
  record_not_found: ["この記録が見つかりません。記録一覧を開き直して探してください。", "This record cannot be found. Open the record list again and look for it."],
  template_not_found: ["この記録の様式が見つかりません。管理者に連絡してください。", "The form for this record cannot be found. Tell the administrator."],
  invalid_values: ["入力に直す項目があります。印の付いた項目を直してください。", "Some entries need fixing: correct the marked fields."],
  record_finalized: ["この記録は確定済みのため変更できません。「訂正版を作成」で訂正してください。", "This record is finalized and cannot be changed. Use “Make a correction” instead."],
  bad_state: ["この記録の今の状態では、この操作はできません。記録を開き直して確認してください。", "This cannot be done with the record as it is now. Open the record again and check it."],
  not_found: ["対象が見つかりません。画面を開き直して、もう一度行ってください。", "It cannot be found. Open the screen again and try once more."],
  conflict: ["今のアプリの状態（訓練の実施中など）のため、この操作は受け付けられませんでした。画面上部の表示を確認してください。", "Refused because of the app's current state (for example, a drill is running). Check the band at the top of the screen."],
  pack_invalid: ["テンプレート集が壊れているか、受け付けられませんでした。管理者に連絡してください。", "The template pack is broken or was refused. Tell the administrator."],
  template_error: ["様式に誤りがあり、表示・印刷できません。管理者に連絡してください。", "The form has an error and cannot be shown or printed. Tell the administrator."],
  missing_glyph: ["印刷できない文字が含まれています。その文字を別の書き方（かな・常用漢字など）に変えてください。", "The text has a character that cannot be printed. Write it another way (for example in kana)."],
  layout_error: ["印刷するページを作れませんでした。とても長い入力を短くしてもう一度行うか、管理者に連絡してください。", "The printed page could not be made. Shorten very long entries and try again, or tell the administrator."],
  database_error: ["データを読み込み・保存できませんでした。保存済みのデータは失われていません。管理者に連絡してください。", "The data could not be read or saved. Nothing already saved is lost. Tell the administrator."],
  schema_too_new: ["この端末のデータは新しい版のHikaeで作られたため開けません。管理者に連絡してください。", "The data on this PC was made by a newer Hikae and cannot be opened. Tell the administrator."],
  io_error: ["ファイルを読み書きできませんでした。保存先と空き容量を確認して、もう一度行ってください。", "A file could not be read or written. Check the folder and the free space, then try again."],
  bad_input: ["入力内容を受け付けられませんでした。内容を確認して、もう一度入力してください。", "The input was not accepted. Check it and enter it again."],
  print_failed: ["印刷できませんでした。プリンタ（電源・用紙・接続）を確認して再試行するか、PDFとして保存してください。", "Printing failed. Check the printer (power, paper, cable) and try again, or save as PDF."],
  audit_broken: ["監査ログの改ざんを検出しました。すぐに管理者に連絡してください。", "The audit log has been tampered with. Tell the administrator immediately."],
  locked: ["画面がロックされています。職員IDとPINでログインしてください。", "The screen is locked: log in with your staff ID and PIN."],
  forbidden: ["あなたの職種ではこの操作はできません。必要ならリーダー看護師か管理者に依頼してください。", "Your role is not allowed to do this. Ask a charge nurse or an administrator if it is needed."],
  internal: ["予期しないエラーが起きました。もう一度行い、続くときは管理者に連絡してください。", "An unexpected error happened. Try again; if it keeps happening, tell the administrator."],
  sync_running: ["送信はすでに実行中です。終わるまでお待ちください。", "A sync is already running. Wait for it to finish."],
} satisfies Record<ErrorCode, [string, string]>;

/**
 * A thrown value in words: a CmdError `{code, message, fields}` from a Tauri command by its code
 * (unknown or missing code: the `internal` text), a thrown string or anything else as `internal`.
 * The core's English message follows on a second line for the administrator.
 */
export function errorText(lang: Lang, e: unknown): string {
  const o = typeof e === "object" && e !== null ? (e as { code?: unknown; message?: unknown }) : null;
  const code = typeof o?.code === "string" ? o.code : "";
  const known = Object.hasOwn(ERROR_TEXT, code);
  const message = o ? (typeof o.message === "string" ? o.message : "") : e === undefined || e === null ? "" : String(e);
  const text = ERROR_TEXT[known ? (code as ErrorCode) : "internal"][lang === "ja" ? 0 : 1];
  const detail = known || !code ? message : message ? `${code}: ${message}` : code;
  return detail ? `${text}\n${tf(lang, "errorDetail", { message: detail })}` : text;
}
