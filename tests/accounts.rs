//! Local accounts while central authentication is down: roster, roles enforced in the core,
//! lockout that survives restarts, break-glass.

mod common;

use common::*;
use hikae_app::audit::Action;
use hikae_app::Hikae;
use hikae_auth::roster::StaffRole;
use hikae_store::AuditQuery;

fn login(dir: &std::path::Path, id: &str, pin: &str) -> Hikae {
    Hikae::unlock(dir, id, pin)
        .expect("unlock")
        .expect("right PIN")
}

fn draft(app: &mut Hikae, template: &str) -> String {
    let f = demo_fixture(template);
    app.new_record(template, f.patient, &f.author, f.values)
        .expect("create")
        .id
}

#[test]
fn roles_are_enforced_in_the_core() {
    let (dir, _) = secured();
    let mut nurse = login(dir.path(), "N0001", "333333");
    assert_eq!(nurse.session().map(|s| s.role), Some(StaffRole::Nurse));
    let ds = draft(&mut nurse, "discharge-summary");
    let e = nurse.finalize(&ds, "看護師 試験 花子").unwrap_err();
    assert_eq!(e.code(), "forbidden", "{e}");
    assert!(e.to_string().contains("only a doctor"), "{e}");
    let sbar = draft(&mut nurse, "sbar-handover");
    nurse
        .finalize(&sbar, "看護師 試験 花子")
        .expect("a nurse finalizes a handover");
    assert_eq!(
        nurse
            .trust_key("x", hikae_app::KeyRole::Packs)
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        nurse.enrol("N0002", "555555").unwrap_err().code(),
        "forbidden"
    );
    drop(nurse);

    let mut doctor = login(dir.path(), "D0001", "222222");
    doctor
        .finalize(&ds, "医師 試験 一郎")
        .expect("a doctor finalizes the summary");
    drop(doctor);

    let mut clerk = login(dir.path(), "C0001", "444444");
    let d = draft(&mut clerk, "nursing-soap");
    assert_eq!(
        clerk.finalize(&d, "事務 試験 次郎").unwrap_err().code(),
        "forbidden"
    );
    drop(clerk);

    let mut admin = login(dir.path(), "A0001", ADMIN_PIN);
    let f = demo_fixture("sbar-handover");
    let e = admin
        .new_record("sbar-handover", f.patient, &f.author, f.values)
        .unwrap_err();
    assert_eq!(
        e.code(),
        "forbidden",
        "administrators do not write clinical records"
    );
    // every entry names the logged-in person and role
    let entries = admin
        .test_store()
        .audit_entries(&AuditQuery::default())
        .expect("audit");
    let fin = entries
        .iter()
        .find(|e| {
            e.event.action == Action::Finalize && e.event.record_id.as_deref() == Some(ds.as_str())
        })
        .expect("finalize logged");
    assert_eq!(fin.event.actor.id, "D0001");
    assert_eq!(fin.event.actor.role.as_deref(), Some("doctor"));
    assert!(fin.event.actor.session.is_some());
}

#[test]
fn repeated_wrong_pins_lock_the_id_even_across_restarts() {
    let (dir, _) = secured();
    for _ in 0..5 {
        assert!(Hikae::unlock(dir.path(), "N0001", "000000")
            .expect("wrong")
            .is_none());
    }
    // the right PIN does not help while locked, and a "restart" (new process state) neither
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("locked");
    assert_eq!(e.code(), "locked");
    assert!(e.to_string().contains("too many wrong PINs"), "{e}");
    // other staff are not affected
    let mut admin = login(dir.path(), "A0001", ADMIN_PIN);
    // an open app refuses too, and logs the attempt
    assert!(admin.login("N0001", "333333").is_err());
    assert!(!admin.login("D0001", "999999").expect("wrong"));
    let failed = admin
        .test_store()
        .audit_entries(&AuditQuery {
            action: Some(Action::LoginFailed),
            ..AuditQuery::default()
        })
        .expect("audit");
    assert!(
        failed.iter().any(|e| e.event.actor.id == "D0001"),
        "{failed:?}"
    );
}

#[test]
fn break_glass_is_marked_limited_in_time_and_listed() {
    let (dir, _) = secured();
    let e = Hikae::break_glass(
        dir.path(),
        "看護師 応援 太郎",
        StaffRole::Nurse,
        "認証基盤停止",
        "000000",
    )
    .err()
    .expect("wrong code");
    assert_eq!(e.code(), "locked");
    assert!(
        Hikae::break_glass(dir.path(), "管理 偽", StaffRole::Admin, "x", EMERGENCY_CODE).is_err()
    );
    assert!(Hikae::break_glass(
        dir.path(),
        "看護師 応援 太郎",
        StaffRole::Nurse,
        " ",
        EMERGENCY_CODE
    )
    .is_err());

    let mut bg = Hikae::break_glass(
        dir.path(),
        "看護師 応援 太郎",
        StaffRole::Nurse,
        "認証基盤停止・応援勤務",
        EMERGENCY_CODE,
    )
    .expect("break glass");
    let s = bg.session().expect("session").clone();
    assert!(s.break_glass.is_some());
    let id = draft(&mut bg, "sbar-handover");
    bg.view(&id).expect("view");
    // four hours later the session is over
    bg.backdate_session(chrono::Duration::hours(5));
    let e = bg.view(&id).and(
        bg.update(&id, Default::default())
            .map(|_| bg.get(&id).expect("get")),
    );
    let e = e.expect_err("expired");
    assert_eq!(e.code(), "locked", "{e}");
    assert!(e.to_string().contains("expired"), "{e}");
    drop(bg);

    let admin = login(dir.path(), "A0001", ADMIN_PIN);
    let listed = admin
        .test_store()
        .audit_entries(&AuditQuery {
            break_glass_only: true,
            ..AuditQuery::default()
        })
        .expect("audit");
    let kinds: Vec<_> = listed.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(kinds, ["break_glass", "create", "view"], "{listed:?}");
    assert!(listed[0]
        .event
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("認証基盤停止")));
    assert!(listed
        .iter()
        .all(|e| e.event.actor.name == "看護師 応援 太郎"));
}

#[test]
fn rosters_must_be_signed_newer_and_unchanged() {
    let (dir, key) = secured();
    let mut admin = login(dir.path(), "A0001", ADMIN_PIN);
    let v1 = roster_text(1);
    let before = std::fs::read_to_string(dir.path().join("roster/active")).expect("active");

    // bad signature: signed by a key this PC does not trust, or over other content
    let stranger = signing_key();
    let v2 = roster_text(2);
    let e = admin
        .install_roster(&v2, Some(&sign_roster(&v2, &stranger.1, 2)))
        .unwrap_err();
    assert!(e.to_string().contains("not trusted"), "{e}");
    let e = admin
        .install_roster(
            &v2.replace("看護師 試験 花子", "偽者"),
            Some(&sign_roster(&v2, &key.1, 2)),
        )
        .unwrap_err();
    assert!(e.to_string().contains("bad signature"), "{e}");
    let e = admin.install_roster(&v2, None).unwrap_err();
    assert!(e.to_string().contains("missing signature"), "{e}");
    // same or older version
    let e = admin
        .install_roster(&v1, Some(&sign_roster(&v1, &key.1, 1)))
        .unwrap_err();
    assert!(e.to_string().contains("not newer"), "{e}");
    // signature for another version than the file says
    let e = admin
        .install_roster(&v2, Some(&sign_roster(&v2, &key.1, 3)))
        .unwrap_err();
    assert!(e.to_string().contains("the file says"), "{e}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("roster/active")).expect("active"),
        before
    );

    // a newer roster without the nurse: she can no longer log in
    let v2 = roster_text(2).replace(
        "[[staff]]\nid = \"N0001\"\nname = \"看護師 試験 花子\"\nkana = \"カンゴシ シケン ハナコ\"\nrole = \"nurse\"\nward = \"3東\"\n",
        "",
    );
    admin
        .install_roster(&v2, Some(&sign_roster(&v2, &key.1, 2)))
        .expect("v2");
    drop(admin);
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("not on roster");
    assert_eq!(e.code(), "forbidden", "{e}");

    // the installed roster edited on disk is refused at the next login
    let path = dir.path().join("roster/v2.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("医師 試験 一郎", "医師 改竄")).expect("tamper");
    let e = Hikae::unlock(dir.path(), "D0001", "222222")
        .err()
        .expect("tampered roster");
    assert!(e.to_string().contains("bad signature"), "{e}");
}

#[test]
fn a_locked_screen_reads_and_writes_nothing_until_someone_logs_in() {
    let (dir, _) = secured();
    let mut nurse = login(dir.path(), "N0001", "333333");
    let id = draft(&mut nurse, "sbar-handover");
    nurse.lock().expect("lock");
    assert_eq!(nurse.view(&id).unwrap_err().code(), "locked");
    assert_eq!(
        nurse.update(&id, Default::default()).unwrap_err().code(),
        "locked"
    );
    assert!(!nurse.login("N0001", "000000").expect("wrong PIN"));
    assert!(nurse.is_locked());
    assert!(nurse.login("N0001", "333333").expect("right PIN"));
    nurse.view(&id).expect("back to work");
    // someone else takes over: their own session
    nurse.lock().expect("lock");
    assert!(nurse.login("D0001", "222222").expect("doctor"));
    assert_eq!(nurse.session().map(|s| s.staff_id.as_str()), Some("D0001"));
    let kinds: Vec<_> = nurse
        .test_store()
        .audit_entries(&AuditQuery::default())
        .expect("audit")
        .iter()
        .rev()
        .take(5)
        .map(|e| e.event.action.as_str())
        .collect();
    assert_eq!(kinds, ["login", "lock", "view", "unlock", "login_failed"]);
}

/// A static file server for the test (python3's http.server), stopped on drop.
struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &std::path::Path) -> (Server, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 http.server");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (Server(child), port)
}

#[test]
fn the_roster_is_refreshed_from_the_configured_url_when_it_is_reachable() {
    let (dir, key) = secured();
    let site = tempfile::tempdir().expect("site");
    let v2 = roster_text(2);
    std::fs::write(site.path().join("roster.toml"), &v2).expect("write");
    std::fs::write(
        site.path().join("roster.toml.minisig"),
        sign_roster(&v2, &key.1, 2),
    )
    .expect("sig");
    let (server, port) = serve(site.path());
    let mut admin = login(dir.path(), "A0001", ADMIN_PIN);

    assert!(admin.refresh_roster().expect("no URL configured").is_none());
    let mut config = hikae_app::config::load(dir.path()).expect("config");
    config.roster.url = Some(format!("http://127.0.0.1:{port}/roster.toml"));
    hikae_app::config::save(&config, dir.path()).expect("save");

    let got = admin
        .refresh_roster()
        .expect("refresh")
        .expect("v2 installed");
    assert_eq!(got.version, 2);
    assert!(
        admin.refresh_roster().expect("again").is_none(),
        "nothing newer"
    );

    // a tampered newer roster on the server is refused; v2 stays
    let v3 = roster_text(3);
    std::fs::write(
        site.path().join("roster.toml"),
        v3.replace("管理 太郎", "偽 管理者"),
    )
    .expect("write");
    std::fs::write(
        site.path().join("roster.toml.minisig"),
        sign_roster(&v3, &key.1, 3),
    )
    .expect("sig");
    let e = admin.refresh_roster().unwrap_err();
    assert!(e.to_string().contains("bad signature"), "{e}");
    assert_eq!(admin.roster().expect("roster").map(|r| r.version), Some(2));

    // the server is down: a clear error, nothing changes
    drop(server);
    let e = admin.refresh_roster().unwrap_err();
    assert!(e.to_string().contains("could not reach"), "{e}");
    assert_eq!(admin.roster().expect("roster").map(|r| r.version), Some(2));
    let refreshed = admin
        .test_store()
        .audit_entries(&AuditQuery {
            action: Some(Action::RosterInstall),
            ..AuditQuery::default()
        })
        .expect("audit");
    assert!(refreshed
        .last()
        .and_then(|e| e.event.detail.as_deref())
        .is_some_and(|d| d.contains("refreshed from http://127.0.0.1")));
}

#[test]
fn after_recovery_the_emergency_code_is_changed_or_break_glass_disabled() {
    let (dir, _) = secured();
    let mut admin = login(dir.path(), "A0001", ADMIN_PIN);
    admin.set_emergency_code(Some("864200")).expect("change");
    drop(admin);
    let e = Hikae::break_glass(
        dir.path(),
        "看護師 応援 太郎",
        StaffRole::Nurse,
        "停止",
        EMERGENCY_CODE,
    )
    .err()
    .expect("old code");
    assert_eq!(e.code(), "locked");
    Hikae::break_glass(
        dir.path(),
        "看護師 応援 太郎",
        StaffRole::Nurse,
        "停止",
        "864200",
    )
    .expect("new code");
    let mut nurse = login(dir.path(), "N0001", "333333");
    assert_eq!(
        nurse.set_emergency_code(None).unwrap_err().code(),
        "forbidden"
    );
    drop(nurse);
    let mut admin = login(dir.path(), "A0001", ADMIN_PIN);
    admin.set_emergency_code(None).expect("disable");
    drop(admin);
    let e = Hikae::break_glass(
        dir.path(),
        "看護師 応援 太郎",
        StaffRole::Nurse,
        "停止",
        "864200",
    )
    .err()
    .expect("disabled");
    assert!(e.to_string().contains("disabled"), "{e}");
}
