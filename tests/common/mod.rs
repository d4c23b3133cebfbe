#![allow(dead_code)]
//! Helpers shared by the integration tests: temp data dirs, the real CLI, poppler tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hikae_app::form::Values;
use hikae_app::record::{Patient, Record};
use hikae_app::Hikae;

pub fn hikae_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hikae")
}

/// Runs the real CLI with a data dir; a folder that is not set up is used in demo mode
/// (`HIKAE_DEMO=1`: fictional data, unencrypted, marked デモ DEMO).
pub fn cli(data: &Path, args: &[&str]) -> Output {
    cli_command(data, args)
        .env("HIKAE_DEMO", "1")
        .output()
        .expect("run hikae")
}

/// Runs the real CLI the way it runs on a ward PC: no demo mode.
pub fn cli_installed(data: &Path, args: &[&str]) -> Output {
    cli_command(data, args).output().expect("run hikae")
}

fn cli_command(data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(hikae_bin());
    c.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("HIKAE_DATA_DIR")
        .env_remove("HIKAE_USER")
        .env_remove("HIKAE_DEMO");
    c
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a poppler tool; the tests need poppler-utils (the README's test command installs it).
pub fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is required for the PDF tests (apt-get install poppler-utils): {e}")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn pdf_pages(pdf: &Path) -> usize {
    poppler("pdfinfo", &[pdf.to_str().expect("utf-8 path")])
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|n| n.trim().parse().expect("page count"))
        })
        .expect("Pages: line")
}

pub fn pdf_page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    poppler(
        "pdftotext",
        &[
            "-f",
            &p,
            "-l",
            &p,
            "-layout",
            pdf.to_str().expect("utf-8 path"),
            "-",
        ],
    )
}

pub fn values(v: serde_json::Value) -> Values {
    v.as_object().cloned().expect("a JSON object")
}

pub fn patient(id: &str, name: &str) -> Patient {
    Patient {
        id: id.into(),
        name: name.into(),
    }
}

/// A fresh app in a temp dir (kept alive by the returned guard).
pub fn app() -> (tempfile::TempDir, Hikae) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = Hikae::open_demo(dir.path()).expect("open app");
    (dir, app)
}

pub fn demo_fixture(template: &str) -> hikae_app::demo::Fixture {
    hikae_app::demo::fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.template == template)
        .expect("fixture for template")
}

/// Creates and finalizes the demo record of `template`.
pub fn finalized_demo(app: &mut Hikae, template: &str) -> Record {
    let f = demo_fixture(template);
    let rec = app
        .new_record(&f.template, f.patient, &f.author, f.values)
        .expect("create");
    app.finalize(
        &rec.id,
        f.final_reviewer.as_deref().unwrap_or("医師 試験 一郎"),
    )
    .expect("finalize")
}

pub fn write_pdf(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write pdf");
    p
}

pub const HOSPITAL: &str = "架空総合病院";

/// A fictional roster: one of each role.
pub fn roster_text(version: u64) -> String {
    format!(
        r#"format = 1
version = {version}
hospital = "{HOSPITAL}"
issued = "2026-11-21"

[[staff]]
id = "A0001"
name = "管理 太郎"
kana = "カンリ タロウ"
role = "admin"
ward = "情報システム部"

[[staff]]
id = "D0001"
name = "医師 試験 一郎"
kana = "イシ シケン イチロウ"
role = "doctor"
ward = "3東"

[[staff]]
id = "N0001"
name = "看護師 試験 花子"
kana = "カンゴシ シケン ハナコ"
role = "nurse"
ward = "3東"

[[staff]]
id = "C0001"
name = "事務 試験 次郎"
kana = "ジム シケン ジロウ"
role = "clerk"
ward = "3東"

[[staff]]
id = "L0001"
name = "リーダー 試験 三奈"
kana = "リーダー シケン ミナ"
role = "charge_nurse"
ward = "3東"
"#
    )
}

/// (public key file, secret key file) of a fresh unencrypted signing key.
pub fn signing_key() -> (String, String) {
    hikae_packs::sign::keygen(None).expect("keygen")
}

pub fn sign_roster(text: &str, secret_key: &str, version: u64) -> String {
    hikae_packs::sign::sign_roster(
        text.as_bytes(),
        secret_key,
        None,
        HOSPITAL,
        &version.to_string(),
    )
    .expect("sign roster")
}

pub const ADMIN_PIN: &str = "246810";
pub const EMERGENCY_CODE: &str = "135790";

/// An encrypted installation with a signed roster and PINs for the doctor (222222), the
/// nurse (333333) and the clerk (444444). Returns the dir and the signing key.
pub fn secured() -> (tempfile::TempDir, (String, String)) {
    let (dir, key, _recovery) = secured_with_recovery();
    (dir, key)
}

/// As [`secured`], also returning the recovery key printed at setup.
pub fn secured_with_recovery() -> (tempfile::TempDir, (String, String), String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, recovery) = secure_dir(dir.path());
    (dir, key, recovery)
}

/// Sets up `dir` as [`secured`] does; returns the roster signing key and the recovery key.
pub fn secure_dir(dir: &Path) -> ((String, String), String) {
    let setup = Hikae::setup_encryption(dir, "A0001", ADMIN_PIN, EMERGENCY_CODE).expect("setup");
    let mut admin = unlocked(dir, "A0001", ADMIN_PIN);
    let key = signing_key();
    admin
        .trust_key(&key.0, hikae_app::KeyRole::Rosters)
        .expect("trust");
    let text = roster_text(1);
    admin
        .install_roster(&text, Some(&sign_roster(&text, &key.1, 1)))
        .expect("roster");
    for (id, pin) in [
        ("D0001", "222222"),
        ("N0001", "333333"),
        ("C0001", "444444"),
        ("L0001", "555555"),
    ] {
        admin.enrol(id, pin).expect("enrol");
    }
    (key, setup.recovery_key)
}

/// The app unlocked with a staff ID and the right PIN.
pub fn unlocked(dir: &Path, id: &str, pin: &str) -> Hikae {
    Hikae::unlock(dir, id, pin)
        .expect("unlock")
        .unwrap_or_else(|| panic!("{id}: the PIN opens"))
}
