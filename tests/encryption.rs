//! Encryption at rest: what a copied file reveals, wrong keys, damaged files, interrupted setup.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use hikae_app::{Hikae, DB_FILE};
use hikae_auth::{Keyring, SlotKind};
use serde_json::json;

const PIN: &str = "246810";
const EMERGENCY: &str = "135790";
/// Typed into a record: must never appear in the files.
const MARKER_JA: &str = "秘匿確認用の所見テキスト";
const MARKER_ASCII: &str = "SECRET-MARKER-7Q4Z";

/// A data dir with records (drafts and finalized, one with the markers), still unencrypted.
fn with_records() -> tempfile::TempDir {
    let (dir, mut app) = app();
    finalized_demo(&mut app, "discharge-summary");
    let f = demo_fixture("sbar-handover");
    let rec = app
        .new_record(
            "sbar-handover",
            patient("ENC-1", "暗号 確認子"),
            &f.author,
            f.values,
        )
        .expect("create");
    app.update(
        &rec.id,
        values(json!({"assessment": format!("{MARKER_JA} {MARKER_ASCII}")})),
    )
    .expect("save");
    drop(app);
    dir
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_copied_database_reads_as_noise() {
    let dir = with_records();
    let plain = std::fs::read(dir.path().join(DB_FILE)).expect("db");
    let wal = std::fs::read(dir.path().join("hikae.db-wal")).unwrap_or_default();
    assert!(
        contains(&plain, MARKER_ASCII) || contains(&wal, MARKER_ASCII),
        "the unencrypted file does show the text (the check works)"
    );

    let setup = Hikae::setup_encryption(dir.path(), "A0001", PIN, EMERGENCY).expect("setup");
    assert_eq!(setup.recovery_key.len(), 39);
    // use it: new writes go through the WAL
    let mut app = Hikae::unlock(dir.path(), "A0001", PIN)
        .expect("unlock")
        .expect("right PIN");
    let found = app
        .test_store()
        .search(&hikae_store::Query {
            text: Some(MARKER_ASCII.into()),
            ..Default::default()
        })
        .expect("search");
    assert_eq!(
        found.len(),
        1,
        "records and search index survived encryption"
    );
    // the records written from here on go through the WAL: they must be encrypted too
    app.append_audit_event(
        hikae_app::audit::Event::new(app.actor(), hikae_app::audit::Action::View).detail(MARKER_JA),
    )
    .expect("write");

    for (name, bytes) in files(dir.path()) {
        if name == "keyring.json" {
            continue;
        }
        for needle in [
            MARKER_JA,
            MARKER_ASCII,
            "暗号",
            "ENC-1",
            "sbar-handover",
            "SQLite format 3",
        ] {
            assert!(!contains(&bytes, needle), "{name} contains {needle:?}");
        }
        // and with the standard tool
        let out = Command::new("strings")
            .args(["-a", "-n", "6"])
            .arg(dir.path().join(&name))
            .output()
            .expect("strings (binutils) is needed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains(MARKER_ASCII) && !text.contains("CREATE TABLE"),
            "{name}: {text}"
        );
    }
    assert!(
        files(dir.path()).contains_key("hikae.db-wal"),
        "the WAL was checked too"
    );
}

#[test]
fn a_wrong_pin_or_key_opens_nothing_and_changes_nothing() {
    let dir = with_records();
    Hikae::setup_encryption(dir.path(), "A0001", PIN, EMERGENCY).expect("setup");
    let before = files(dir.path());
    assert!(Hikae::unlock(dir.path(), "A0001", "999999")
        .expect("wrong PIN")
        .is_none());
    assert!(Hikae::unlock(dir.path(), "N9999", PIN)
        .expect("unknown ID")
        .is_none());
    assert!(Hikae::unlock_with_recovery_key(dir.path(), "AAAA-BBBB")
        .expect("wrong")
        .is_none());
    let e = Hikae::open_demo(dir.path()).err().expect("refused");
    assert_eq!(e.code(), "locked");
    // a key that is not this database's
    let other = hikae_auth::DataKey::generate();
    let e = Hikae::open_with_key(dir.path(), &other)
        .err()
        .expect("refused");
    assert_eq!(e.code(), "database_error");
    assert!(e.to_string().contains("another key"), "{e}");
    let mut after = files(dir.path());
    let attempts = after
        .remove("login-attempts.json")
        .expect("failures are counted");
    assert!(String::from_utf8_lossy(&attempts).contains("\"failures\": 1"));
    assert_eq!(after, before, "nothing else written, no new empty database");
}

#[test]
fn the_recovery_key_and_the_emergency_code_open_the_same_data() {
    let dir = with_records();
    let setup = Hikae::setup_encryption(dir.path(), "A0001", PIN, EMERGENCY).expect("setup");
    let app = Hikae::unlock_with_recovery_key(dir.path(), &setup.recovery_key)
        .expect("unlock")
        .expect("right key");
    assert_eq!(
        app.test_store()
            .search(&Default::default())
            .expect("list")
            .len(),
        2
    );
    drop(app);
    let ring = Keyring::load(dir.path()).expect("keyring");
    assert!(ring
        .unlock(SlotKind::Emergency, "emergency", EMERGENCY)
        .expect("unlock")
        .is_some());
    let e = Hikae::setup_encryption(dir.path(), "A0002", PIN, EMERGENCY)
        .err()
        .expect("once");
    assert_eq!(e.code(), "bad_state");
}

#[test]
fn a_damaged_encrypted_file_gives_a_clear_error_and_the_folder_is_left_alone() {
    for damage in ["truncate", "overwrite"] {
        let dir = with_records();
        Hikae::setup_encryption(dir.path(), "A0001", PIN, EMERGENCY).expect("setup");
        let db = dir.path().join(DB_FILE);
        let mut bytes = std::fs::read(&db).expect("db");
        match damage {
            "truncate" => bytes.truncate(bytes.len() / 3),
            _ => bytes[100..4000].iter_mut().for_each(|b| *b ^= 0x5a),
        }
        std::fs::write(&db, &bytes).expect("damage");
        let before = files(dir.path());
        let res = Hikae::unlock(dir.path(), "A0001", PIN).and_then(|o| {
            let app = o.expect("the keyring is intact");
            app.test_store().search(&Default::default()).map(|_| ())
        });
        let e = res
            .err()
            .unwrap_or_else(|| panic!("{damage}: damage not reported"));
        assert_eq!(e.code(), "database_error", "{damage}: {e}");
        assert!(
            e.to_string().contains("left untouched") || e.to_string().contains("damaged"),
            "{damage}: {e}"
        );
        assert_eq!(files(dir.path()), before, "{damage}: nothing changed");
    }
}

#[test]
fn an_interrupted_setup_is_finished_at_the_next_unlock() {
    // the keyring was written, the database not yet encrypted (power cut in between)
    let dir = with_records();
    Hikae::setup_encryption_interrupted(dir.path(), "A0001", PIN, "135790").expect("setup");
    let bytes = std::fs::read(dir.path().join(DB_FILE)).expect("db");
    assert!(contains(&bytes, "SQLite format 3"), "still plaintext");
    let app = Hikae::unlock(dir.path(), "A0001", PIN)
        .expect("unlock")
        .expect("right PIN");
    assert_eq!(
        app.test_store()
            .search(&Default::default())
            .expect("list")
            .len(),
        2
    );
    drop(app);
    let bytes = std::fs::read(dir.path().join(DB_FILE)).expect("db");
    assert!(!contains(&bytes, "SQLite format 3"), "now encrypted");
}

fn cli_env(data: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut c = Command::new(hikae_bin());
    c.arg("--data-dir").arg(data).args(args);
    for v in [
        "HIKAE_DATA_DIR",
        "HIKAE_USER",
        "HIKAE_STAFF",
        "HIKAE_PIN",
        "HIKAE_RECOVERY_KEY",
        "HIKAE_NEW_PIN",
        "HIKAE_EMERGENCY_CODE",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(std::process::Stdio::null())
        .output()
        .expect("run hikae")
}

#[test]
fn the_cli_sets_up_unlocks_enrols_and_refuses_wrong_pins() {
    let dir = with_records();
    let out = cli_env(
        dir.path(),
        &[("HIKAE_PIN", PIN), ("HIKAE_EMERGENCY_CODE", EMERGENCY)],
        &["setup", "--admin-id", "A0001"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("RECOVERY KEY"), "{}", stdout(&out));

    let out = cli_env(dir.path(), &[], &["list"]);
    assert_eq!(
        out.status.code(),
        Some(9),
        "locked without credentials: {}",
        stderr(&out)
    );
    let out = cli_env(
        dir.path(),
        &[("HIKAE_STAFF", "A0001"), ("HIKAE_PIN", "000000")],
        &["list"],
    );
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrong staff ID or PIN"),
        "{}",
        stderr(&out)
    );

    let admin = [("HIKAE_STAFF", "A0001"), ("HIKAE_PIN", PIN)];
    let out = cli_env(dir.path(), &admin, &["list"]);
    assert_eq!(
        out.status.code(),
        Some(10),
        "an administrator does not read records: {}",
        stderr(&out)
    );
    let out = cli_env(dir.path(), &admin, &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli_env(
        dir.path(),
        &[
            ("HIKAE_STAFF", "A0001"),
            ("HIKAE_PIN", PIN),
            ("HIKAE_NEW_PIN", "1234"),
        ],
        &["enrol", "N0007"],
    );
    assert!(
        !out.status.success() && stderr(&out).contains("at least 6 digits"),
        "{}",
        stderr(&out)
    );
    let out = cli_env(
        dir.path(),
        &[
            ("HIKAE_STAFF", "A0001"),
            ("HIKAE_PIN", PIN),
            ("HIKAE_NEW_PIN", "777777"),
        ],
        &["enrol", "N0007"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // before a roster is installed only the setup administrator administers (security
    // finding 3: every enrolled account used to)
    let out = cli_env(
        dir.path(),
        &[("HIKAE_STAFF", "N0007"), ("HIKAE_PIN", "777777")],
        &["audit", "verify"],
    );
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not the administrator who set it up"),
        "{}",
        stderr(&out)
    );
    let out = cli_env(dir.path(), &admin, &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli_env(
        dir.path(),
        &admin,
        &["audit", "list", "--action", "settings"],
    );
    assert!(
        stdout(&out).contains("encryption at rest set up")
            && stdout(&out).contains("N0007 enrolled"),
        "{}",
        stdout(&out)
    );
}
