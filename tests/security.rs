//! The security review's findings (docs/SECURITY.md, threat table), each tried as an attacker
//! with the ward PC's OS account would: real files, the real CLI, a hostile local server.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::*;
use hikae_app::sync;
use hikae_app::Hikae;

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777
}

/// Every folder and file below `dir`, with its mode.
#[cfg(unix)]
fn modes(dir: &Path) -> Vec<(String, bool, u32)> {
    let mut out = vec![(".".to_string(), true, mode(dir))];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let is_dir = p.is_dir();
            let rel = p.strip_prefix(dir).expect("below").display().to_string();
            out.push((rel, is_dir, mode(&p)));
            if is_dir {
                stack.push(p);
            }
        }
    }
    out
}

/// Finding 8: files were written with umask defaults (0644), exports could overwrite the
/// keyring.
#[cfg(unix)]
#[test]
fn the_data_folder_is_owner_only_and_exports_never_land_in_it() {
    let (dir, _key) = secured();
    let env = [("HIKAE_STAFF", "D0001"), ("HIKAE_PIN", "222222")];
    let run = |args: &[&str]| {
        std::process::Command::new(hikae_bin())
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .envs(env)
            .env_remove("HIKAE_DATA_DIR")
            .output()
            .expect("run hikae")
    };
    let o = run(&["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // the demo's records, their search rows and audit entries are all in there now
    for (rel, is_dir, m) in modes(dir.path()) {
        let want = if is_dir { 0o700 } else { 0o600 };
        // installed pack files are public templates; everything else is the ward's data
        if rel.starts_with("packs") {
            continue;
        }
        assert_eq!(m, want, "{rel}: mode {m:o}");
    }
    let list = stdout(&run(&["list"]));
    let id = list
        .lines()
        .find_map(|l| l.split_whitespace().next())
        .expect("a record id");
    let keyring = dir.path().join("keyring.json");
    let before = std::fs::read(&keyring).expect("keyring");
    for target in [
        keyring.clone(),
        dir.path().join("hikae.db"),
        dir.path().join("roster/../keyring.json"),
    ] {
        let o = run(&["render", id, "--pdf", target.to_str().expect("utf-8")]);
        assert!(!o.status.success(), "{} was written", target.display());
        assert!(stderr(&o).contains("data folder"), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read(&keyring).expect("keyring"), before);
    // the same export elsewhere works, owner-only
    let out = tempfile::tempdir().expect("tempdir");
    let pdf = out.path().join("record.pdf");
    let o = run(&["render", id, "--pdf", pdf.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&pdf), 0o600);
}

/// Finding 10: FHIR replies were buffered up to 64 MiB. A server (or something in its place)
/// answering a one-record batch with 40 MB gets a clear error; the record stays queued.
#[test]
fn a_huge_reply_from_the_fhir_server_is_refused_while_it_streams() {
    let (_dir, mut app) = app();
    let rec = finalized_demo(&mut app, "nursing-soap");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        // answer every request (metadata or batch) with 200 and a 40 MB JSON body
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { break };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut req = Vec::new();
            let mut buf = [0u8; 65536];
            // read the headers and whatever body arrives with them
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req);
                if let Some(h) = text.find("\r\n\r\n") {
                    let len = text[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if req.len() >= h + 4 + len {
                        break;
                    }
                }
            }
            let pad = 40 * 1024 * 1024;
            let head =
                "{\"resourceType\":\"Bundle\",\"type\":\"batch-response\",\"entry\":[],\"pad\":\"";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
                head.len() + pad + 2
            );
            let chunk = vec![b'x'; 1024 * 1024];
            for _ in 0..40 {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
            let _ = s.write_all(b"\"}");
        }
    });
    std::fs::write(
        app.data_dir().join("config.toml"),
        format!("[sync]\nendpoint = \"http://127.0.0.1:{port}/fhir\"\nproduction = false\n"),
    )
    .expect("config");
    let client = app.sync_client().expect("client");
    let cancel = AtomicBool::new(false);
    let opts = sync::Options {
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(20),
        max_wait: Duration::from_millis(50),
        give_up_after: 1,
        ..sync::Options::default()
    };
    let host = sync::Direct(std::cell::RefCell::new(&mut app));
    let o = sync::run(&host, &client, &opts, &cancel, |_| {}).expect("run");
    let err = o.progress.last_error.clone().unwrap_or_default();
    assert!(
        err.contains("larger than") && err.contains("bytes"),
        "the error says the answer is too large: {err}"
    );
    assert_eq!(o.progress.acknowledged, 0);
    assert_eq!(o.pending, 1, "the record stays queued");
    assert_eq!(
        app.test_store()
            .outbox_entry(&rec.id)
            .expect("entry")
            .expect("queued")
            .state,
        hikae_store::SyncState::Pending
    );
    drop(server);
}

/// Finding 10: the preview HTML went to the webview without the parser's whitelist. A pack
/// template with an event handler is refused by `pack check`, and its records neither preview
/// nor print.
#[test]
fn markup_outside_the_printable_subset_never_reaches_the_preview() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("pack");
    let o = cli(
        dir.path(),
        &[
            "pack",
            "new",
            "--id",
            "ward-test",
            pack.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // put an event handler into one record template of the new pack
    let mut hit = None;
    for e in std::fs::read_dir(&pack).expect("pack dir") {
        let p = e.expect("entry").path().join("record.html");
        if p.is_file() {
            let t = std::fs::read_to_string(&p).expect("read");
            if let Some(i) = t.find("<p") {
                let t = format!("{}<p onclick=\"alert(1)\"{}", &t[..i], &t[i + 2..]);
                std::fs::write(&p, t).expect("write");
                hit = Some(p);
                break;
            }
        }
    }
    let hit = hit.expect("a template with a <p>");
    let o = cli(
        dir.path(),
        &["pack", "check", pack.to_str().expect("utf-8")],
    );
    assert!(!o.status.success(), "pack check accepted an event handler");
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(text.contains("onclick"), "{text}");
    assert!(text.contains("only class"), "{text}");
    let _ = hit;
}

/// Finding 10: Argon2 parameters read from the keyring had no upper bound (a planted keyring
/// could make every login allocate gigabytes).
#[test]
fn a_keyring_with_absurd_argon2_parameters_is_refused_at_once() {
    let (dir, _key) = secured();
    let path = dir.path().join("keyring.json");
    let mut ring: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    for slot in ring["slots"].as_array_mut().expect("slots") {
        slot["m_cost_kib"] = 4_000_000_000u32.into();
    }
    std::fs::write(&path, ring.to_string()).expect("write");
    let t = std::time::Instant::now();
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("out of bounds"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

/// Finding 4: a planted plaintext database was adopted at the next unlock: the app encrypted
/// whatever `hikae.db` with a `records` table it found, with the real key, over the real one.
#[test]
fn a_planted_plaintext_database_is_refused_and_left_untouched() {
    let (dir, _key) = secured();
    let mut nurse = unlocked(dir.path(), "N0001", "333333");
    finalized_demo_as_nurse(&mut nurse);
    drop(nurse);
    // the attacker builds a plaintext Hikae database with a record of their choosing ...
    let forge = tempfile::tempdir().expect("tempdir");
    {
        let mut a = Hikae::open_demo(forge.path()).expect("open");
        let f = demo_fixture("nursing-soap");
        a.new_record(
            "nursing-soap",
            patient("P-9999", "偽造 患者"),
            &f.author,
            f.values,
        )
        .expect("forged record");
    }
    // ... and puts it where the encrypted one was
    let db = dir.path().join("hikae.db");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("hikae.db{suffix}")));
    }
    std::fs::copy(forge.path().join("hikae.db"), &db).expect("plant");
    let planted = std::fs::read(&db).expect("read");
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("the planted database is refused")
        .to_string();
    assert!(e.contains("no setup on this PC named it"), "{e}");
    assert_eq!(std::fs::read(&db).expect("read"), planted, "left untouched");
    // an interrupted setup of this PC's own database still finishes (tests/encryption.rs)
}

fn finalized_demo_as_nurse(app: &mut Hikae) {
    let f = demo_fixture("nursing-soap");
    let r = app
        .new_record(
            "nursing-soap",
            f.patient.clone(),
            &f.author,
            f.values.clone(),
        )
        .expect("draft");
    app.finalize(&r.id, &f.author).expect("finalize");
}

/// Finding 6: five free guesses per staff ID (a common PIN could be sprayed over the roster),
/// no administrator reset, and failures at the start screen were not audited.
#[test]
fn spraying_a_pin_is_stopped_failures_are_audited_and_an_administrator_resets() {
    let (dir, _key, recovery_key) = secured_with_recovery();
    // one try each for ten IDs: under every per-ID limit
    for i in 0..10 {
        let id = format!("X{i:04}");
        assert!(Hikae::unlock(dir.path(), &id, "123456")
            .expect("counted")
            .is_none());
    }
    // now the PC waits, even for a right PIN
    let e = Hikae::unlock(dir.path(), "D0001", "222222")
        .err()
        .expect("the PC is locked")
        .to_string();
    assert!(e.contains("this PC"), "{e}");
    // the administrator comes with the recovery key; a doctor may not reset
    let mut admin = Hikae::unlock_with_recovery_key(dir.path(), &recovery_key)
        .expect("recovery")
        .expect("key");
    let (ids, pc) = admin.lockouts().expect("lockouts");
    assert!(pc.failures >= 10 && ids.len() >= 10, "{pc:?} {}", ids.len());
    admin.reset_lockout(None).expect("reset");
    drop(admin);
    let mut doctor = unlocked(dir.path(), "D0001", "222222");
    let e = doctor
        .reset_lockout(None)
        .expect_err("not an administrator");
    assert_eq!(e.code(), "forbidden");
    // every start-screen failure is in the audit log, with the ID tried; the reset too
    drop(doctor);
    let admin = Hikae::unlock_with_recovery_key(dir.path(), &recovery_key)
        .expect("recovery")
        .expect("key");
    let entries = admin.audit_check().expect("audit").entries;
    for i in 0..10 {
        let id = format!("X{i:04}");
        assert!(
            entries
                .iter()
                .any(|e| e.event.action == hikae_app::audit::Action::LoginFailed
                    && e.event.actor.id == id
                    && !e.event.success),
            "{id} is audited"
        );
    }
    assert!(entries.iter().any(|e| e
        .event
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("lockout reset"))));
    assert!(admin.audit_check().expect("audit").findings.is_empty());
}

/// Finding 3: deleting `roster/active` made every enrolled PIN an administrator, and editing
/// it back to an older number was a silent rollback. The floor and the setup administrator now
/// live in the encrypted store.
#[test]
fn a_missing_or_rolled_back_roster_grants_nothing() {
    let (dir, key) = secured();
    {
        let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
        let text = roster_text(2);
        admin
            .install_roster(&text, Some(&sign_roster(&text, &key.1, 2)))
            .expect("roster v2");
        // the older, still validly signed version is refused
        let old = roster_text(1);
        let e = admin
            .install_roster(&old, Some(&sign_roster(&old, &key.1, 1)))
            .expect_err("older roster");
        assert!(e.to_string().contains("older"), "{e}");
    }
    let active = dir.path().join("roster/active");
    // editing `active` back to version 1 (whose signed files are still there)
    std::fs::write(&active, "1\n").expect("edit");
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("rolled-back roster refused")
        .to_string();
    assert!(e.contains("rolled back"), "{e}");
    // deleting it: nobody becomes an administrator
    std::fs::remove_file(&active).expect("delete");
    for (id, pin) in [("N0001", "333333"), ("D0001", "222222")] {
        let e = Hikae::unlock(dir.path(), id, pin)
            .err()
            .expect("missing roster refused")
            .to_string();
        assert!(e.contains("missing"), "{id}: {e}");
    }
}

/// Finding 3: before any roster, every enrolled account administered the PC; now only the
/// administrator recorded at setup does.
#[test]
fn before_a_roster_only_the_setup_administrator_administers() {
    let dir = tempfile::tempdir().expect("tempdir");
    Hikae::setup_encryption(dir.path(), "A0001", ADMIN_PIN, EMERGENCY_CODE).expect("setup");
    let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    admin.enrol("N0001", "333333").expect("enrol");
    drop(admin);
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("not an administrator without a roster")
        .to_string();
    assert!(e.contains("not the administrator who set it up"), "{e}");
}

/// Finding 9: the anchor was compared only by `audit verify`; a restored older `hikae.db` was
/// silently continued and a deleted anchor skipped. Now both are findings at the next open,
/// recorded in the log itself and shown as a warning.
#[test]
fn a_restored_database_or_a_deleted_anchor_is_found_at_the_next_open() {
    let (dir, mut app) = app();
    finalized_demo(&mut app, "nursing-soap");
    drop(app);
    let copy = tempfile::tempdir().expect("tempdir");
    std::fs::copy(dir.path().join("hikae.db"), copy.path().join("hikae.db")).expect("copy");
    // more work after the copy was taken
    let mut app = Hikae::open_demo(dir.path()).expect("open");
    assert!(app.warnings.is_empty(), "{:?}", app.warnings);
    finalized_demo(&mut app, "sbar-handover");
    drop(app);
    // the older copy put back
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("hikae.db{suffix}")));
    }
    std::fs::copy(copy.path().join("hikae.db"), dir.path().join("hikae.db")).expect("restore");
    let app = Hikae::open_demo(dir.path()).expect("open");
    assert!(
        app.warnings.iter().any(|w| w.contains("are missing")),
        "{:?}",
        app.warnings
    );
    drop(app);
    let o = cli(dir.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(8), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("when Hikae opened the log"),
        "{}",
        stderr(&o)
    );
    // a deleted anchor
    let (dir, app) = app_with_records();
    drop(app);
    std::fs::remove_file(dir.path().join("hikae.db.audit-anchor")).expect("delete anchor");
    let app = Hikae::open_demo(dir.path()).expect("open");
    assert!(
        app.warnings
            .iter()
            .any(|w| w.contains("anchor file is missing")),
        "{:?}",
        app.warnings
    );
}

fn app_with_records() -> (tempfile::TempDir, Hikae) {
    let (dir, mut app) = app();
    finalized_demo(&mut app, "nursing-soap");
    (dir, app)
}

/// Finding 5: `correct` had no permission check (an administrator or an expired break-glass
/// session could start corrections and block the real one), `preview_html` rendered any
/// record for anyone, and ids matched by a 6-hex prefix.
#[test]
fn every_record_use_case_checks_first_and_takes_whole_ids() {
    let (dir, _key) = secured();
    let mut doctor = unlocked(dir.path(), "D0001", "222222");
    let rec = finalized_demo(&mut doctor, "nursing-soap");
    // whole ids only; the CLI resolves what a person typed
    assert_eq!(
        doctor.get(&rec.id[..8]).expect_err("prefix").code(),
        "record_not_found"
    );
    assert!(doctor.preview_html(&rec.id[..8]).is_err());
    assert_eq!(doctor.resolve_id(&rec.id[..8]).expect("resolve"), rec.id);
    // a preview is a view: audited, once per record and person while they keep looking
    doctor.preview_html(&rec.id).expect("preview");
    doctor.preview_html(&rec.id).expect("preview again");
    drop(doctor);
    let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    let previews: Vec<_> = admin
        .audit_entries(&hikae_app::AuditQuery::default())
        .expect("audit")
        .into_iter()
        .filter(|e| e.event.detail.as_deref() == Some("preview"))
        .collect();
    assert_eq!(previews.len(), 1, "{previews:?}");
    assert_eq!(
        previews[0].event.record_id.as_deref(),
        Some(rec.id.as_str())
    );
    assert_eq!(previews[0].event.actor.id, "D0001");
    for (what, e) in [
        ("correct", admin.correct(&rec.id, "理由", "管理 太郎").err()),
        ("preview", admin.preview_html(&rec.id).err()),
        ("get", admin.get(&rec.id).err()),
    ] {
        assert_eq!(e.expect(what).code(), "forbidden", "{what}");
    }
    drop(admin);
    // an expired break-glass session
    let mut bg = Hikae::break_glass(
        dir.path(),
        "応援 看護師",
        hikae_app::auth::StaffRole::Nurse,
        "認証基盤停止",
        EMERGENCY_CODE,
    )
    .expect("break-glass");
    bg.backdate_session(chrono::Duration::hours(5));
    for (what, e) in [
        ("correct", bg.correct(&rec.id, "理由", "応援").err()),
        ("preview", bg.preview_html(&rec.id).err()),
    ] {
        assert_eq!(e.expect(what).code(), "locked", "{what}");
    }
}

/// Finding 7: no unenrol, no rekey: a departed nurse's PIN still opened the data, and an old
/// copy of `keyring.json` re-enabled a changed emergency code. Now unenrolling and changing
/// the emergency code rotate the data key (`PRAGMA rekey`) and rewrap every remaining slot.
#[test]
fn unenrolling_and_a_new_emergency_code_leave_old_keyring_copies_opening_nothing() {
    let (dir, _key) = secured();
    let keyring = dir.path().join("keyring.json");
    let old_copy = std::fs::read(&keyring).expect("copy of the keyring");
    {
        let mut nurse = unlocked(dir.path(), "N0001", "333333");
        finalized_demo_as_nurse(&mut nurse);
    }
    let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    admin.unenrol("N0001").expect("unenrol");
    assert_eq!(
        admin.unenrol("A0001").expect_err("not oneself").code(),
        "conflict"
    );
    admin
        .set_emergency_code(Some("864209"))
        .expect("new emergency code");
    drop(admin);
    // the nurse's PIN no longer opens anything; everyone else still gets in
    assert!(Hikae::unlock(dir.path(), "N0001", "333333")
        .expect("counted")
        .is_none());
    let doctor = unlocked(dir.path(), "D0001", "222222");
    assert!(!doctor
        .search(&Default::default())
        .expect("records")
        .is_empty());
    drop(doctor);
    let bg = Hikae::break_glass(
        dir.path(),
        "応援 看護師",
        hikae_app::auth::StaffRole::Nurse,
        "認証基盤停止",
        "864209",
    );
    assert!(bg.is_ok(), "the new emergency code works");
    drop(bg);
    // an old keyring copy: the nurse's PIN and the old emergency code open nothing
    let current = std::fs::read(&keyring).expect("keyring");
    std::fs::write(&keyring, &old_copy).expect("put the old copy back");
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("the old key no longer opens the database");
    assert_eq!(e.code(), "database_error", "{e}");
    let e = Hikae::break_glass(
        dir.path(),
        "元 職員",
        hikae_app::auth::StaffRole::Nurse,
        "古い控え",
        EMERGENCY_CODE,
    )
    .err()
    .expect("the old emergency code opens nothing");
    assert_eq!(e.code(), "database_error", "{e}");
    std::fs::write(&keyring, current).expect("restore");
    let admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    let check = admin.audit_check().expect("audit");
    assert!(check.findings.is_empty(), "{:?}", check.findings);
    assert!(check.entries.iter().any(|e| e
        .event
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("keys rotated (account N0001 unenrolled)"))));
}

/// A key rotation cut off after the rewrapped keyring was saved, before the database was
/// rekeyed, loses nothing: the next unlock opens with the previous key and finishes it.
#[test]
fn an_interrupted_key_rotation_is_finished_at_the_next_unlock() {
    let (dir, _key) = secured();
    let old_copy = std::fs::read(dir.path().join("keyring.json")).expect("copy");
    {
        let mut nurse = unlocked(dir.path(), "N0001", "333333");
        finalized_demo_as_nurse(&mut nurse);
    }
    let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    admin.unenrol_interrupted("N0001").expect("half a rotation");
    drop(admin);
    let doctor = unlocked(dir.path(), "D0001", "222222");
    assert_eq!(
        doctor.search(&Default::default()).expect("records").len(),
        1
    );
    drop(doctor);
    let ring = std::fs::read_to_string(dir.path().join("keyring.json")).expect("keyring");
    assert!(!ring.contains("previous_key"), "the rotation was finished");
    std::fs::write(dir.path().join("keyring.json"), old_copy).expect("old copy");
    assert!(
        Hikae::unlock(dir.path(), "N0001", "333333").is_err(),
        "the old key opens nothing"
    );
}

/// Finding 3: trusted keys came from `config.toml`, so a file writer could add their own key
/// and sign any roster. On an encrypted PC the trusted keys are in the encrypted store (or the
/// root-owned /etc/hikae/trusted-keys); a key added to config.toml is not trusted.
#[test]
fn a_key_added_to_config_toml_signs_nothing() {
    let (dir, _key) = secured();
    // the attacker's own key, in config.toml
    let (pk, sk) = signing_key();
    let line = hikae_packs::sign::public_key_line(&pk).expect("key line");
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[packs]\ntrusted_keys = [\"{line}\"]\n"),
    )
    .expect("config");
    // a roster making the nurse an administrator, signed with it, put in place as version 9
    let forged = roster_text(9).replacen(
        "id = \"N0001\"\nname = \"看護師 試験 花子\"\nkana = \"カンゴシ シケン ハナコ\"\nrole = \"nurse\"",
        "id = \"N0001\"\nname = \"看護師 試験 花子\"\nkana = \"カンゴシ シケン ハナコ\"\nrole = \"admin\"",
        1,
    );
    assert!(
        forged.contains("role = \"admin\"\nward = \"3東\""),
        "the forgery changed a role"
    );
    let roster = dir.path().join("roster");
    std::fs::write(roster.join("v9.toml"), &forged).expect("forged roster");
    std::fs::write(roster.join("v9.toml.minisig"), sign_roster(&forged, &sk, 9)).expect("sig");
    std::fs::write(roster.join("active"), "9\n").expect("active");
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("the forged roster is refused")
        .to_string();
    assert!(e.contains("roster"), "{e}");
}

/// Finding 1: without setup the store was plain SQLite, and `hikae demo` into a fresh folder
/// left patient text readable in hikae.db.
#[test]
fn nothing_is_stored_unencrypted_without_an_explicit_demo_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("ward-pc");
    // a ward PC that was never set up: every command that would store anything is refused,
    // and nothing is created
    for args in [
        &["demo"][..],
        &[
            "new",
            "sbar-handover",
            "--patient-id",
            "P-1",
            "--patient-name",
            "架空 花子",
            "--author",
            "看護師",
        ][..],
        &["list"][..],
    ] {
        let out = cli_installed(&fresh, args);
        assert!(!out.status.success(), "{args:?} ran without setup");
        let e = stderr(&out);
        assert!(e.contains("not set up") && e.contains("hikae setup"), "{e}");
    }
    assert!(
        !fresh.join("hikae.db").exists(),
        "no database is made before setup"
    );
    // the same for the app's API
    let e = Hikae::open_demo(&fresh).map(|_| ()); // explicit demo mode: allowed
    assert!(e.is_ok(), "{e:?}");
    assert_eq!(Hikae::protection(&fresh), hikae_app::Protection::Demo);
    std::fs::remove_dir_all(&fresh).expect("clean");

    // demo mode is explicit, and marked on every page it prints
    let out = cli(
        &fresh,
        &[
            "demo",
            "--out",
            dir.path().join("pdf").to_str().expect("utf-8"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("demo mode"), "{}", stderr(&out));
    assert!(fresh.join(hikae_app::DEMO_MARKER).is_file());
    let pdf = std::fs::read_dir(dir.path().join("pdf"))
        .expect("pdfs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "pdf"))
        .expect("a demo PDF");
    for page in 1..=pdf_pages(&pdf) {
        let t = pdf_page_text(&pdf, page);
        assert!(t.contains("デモ"), "page {page} is marked demo: {t}");
    }
    // and a demo folder is not opened as one without saying so
    let out = cli_installed(&fresh, &["list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("demo folder"), "{}", stderr(&out));
    let out = cli(&fresh, &["status"]);
    assert!(stdout(&out).contains("NOT encrypted"), "{}", stdout(&out));

    // records that were not made in demo mode are never opened unencrypted, even with --demo
    let planted = dir.path().join("planted");
    std::fs::create_dir_all(&planted).expect("mkdir");
    drop(hikae_store::Store::open(&planted.join("hikae.db")).expect("plain db"));
    let before = std::fs::read(planted.join("hikae.db")).expect("read");
    let out = cli(&planted, &["list"]);
    assert!(!out.status.success(), "a plain database was opened");
    assert!(
        stderr(&out).contains("not made in demo mode"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(planted.join("hikae.db")).expect("read"),
        before
    );

    // setting a demo folder up for real encrypts it, and it is a demo no longer
    let out = std::process::Command::new(hikae_bin())
        .arg("--data-dir")
        .arg(&fresh)
        .args(["setup", "--admin-id", "A0001"])
        .env("HIKAE_PIN", ADMIN_PIN)
        .env("HIKAE_EMERGENCY_CODE", EMERGENCY_CODE)
        .env_remove("HIKAE_DEMO")
        .output()
        .expect("setup");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!fresh.join(hikae_app::DEMO_MARKER).exists());
    let db = std::fs::read(fresh.join("hikae.db")).expect("db");
    assert!(!db.starts_with(b"SQLite format 3"), "encrypted");
    assert_eq!(Hikae::protection(&fresh), hikae_app::Protection::Pin);
}

/// Without a TPM, an administrator can require passphrases for every way in; the policy is
/// kept in the encrypted store and never claims more than the keyring holds.
#[test]
fn the_passphrase_policy_needs_every_way_in_to_be_a_passphrase() {
    let (dir, _key) = secured();
    let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    let e = admin
        .set_passphrase_policy(true)
        .expect_err("PINs remain")
        .to_string();
    assert!(
        e.contains("account D0001") && e.contains("emergency"),
        "{e}"
    );
    let pass = |id: &str| format!("長い合言葉 {id} の控え");
    for id in ["A0001", "D0001", "N0001", "C0001", "L0001"] {
        admin
            .enrol(id, &pass(id))
            .expect("re-enrol with a passphrase");
    }
    admin
        .set_emergency_code(Some("病棟の緊急コード二〇二六"))
        .expect("new code");
    admin.set_passphrase_policy(true).expect("policy on");
    assert_eq!(
        Hikae::protection(dir.path()),
        hikae_app::Protection::Passphrase
    );
    let e = admin
        .enrol("N0002", "123456")
        .expect_err("a PIN under the policy")
        .to_string();
    assert!(e.contains("passphrase of at least 12"), "{e}");
    admin
        .enrol("N0002", "もうひとつの長い合言葉です")
        .expect("a passphrase");
    let log = admin
        .audit_entries(&hikae_app::AuditQuery::default())
        .expect("audit");
    assert!(
        log.iter()
            .any(|e| e.event.detail.as_deref() == Some("passphrase policy on")),
        "audited"
    );
    drop(admin);
    assert!(Hikae::unlock(dir.path(), "D0001", &pass("D0001"))
        .expect("unlock")
        .is_some());
}

/// Finding 3 (the rest): rosters and packs were signed with one key, so whoever could sign
/// templates could also make themselves an administrator.
#[test]
fn a_key_trusted_for_packs_signs_no_roster_and_one_key_never_holds_both_roles() {
    let (dir, roster_key) = secured();
    let mut admin = unlocked(dir.path(), "A0001", ADMIN_PIN);
    let pack_key = signing_key();
    admin
        .trust_key(&pack_key.0, hikae_app::KeyRole::Packs)
        .expect("trust for packs");
    // a roster signed with the pack key (naming a new administrator) is refused
    let forged = roster_text(2).replace("role = \"nurse\"", "role = \"admin\"");
    let e = admin
        .install_roster(&forged, Some(&sign_roster(&forged, &pack_key.1, 2)))
        .expect_err("a pack key signs no roster")
        .to_string();
    assert!(e.contains("not trusted"), "{e}");
    // the roster key cannot be made a pack key too, nor the other way round
    for (key, role) in [
        (&roster_key.0, hikae_app::KeyRole::Packs),
        (&pack_key.0, hikae_app::KeyRole::Rosters),
    ] {
        let e = admin
            .trust_key(key, role)
            .expect_err("one key, one role")
            .to_string();
        assert!(e.contains("separate keys"), "{e}");
    }
    // the roster key still signs rosters
    let next = roster_text(2);
    admin
        .install_roster(&next, Some(&sign_roster(&next, &roster_key.1, 2)))
        .expect("the roster key signs rosters");
}
