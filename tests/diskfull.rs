//! The disk fills up under an encrypted store: saving and finalizing fail with a clear error,
//! nothing saved before is lost, and saving resumes once space returns.
//!
//! The data folder lives on a small tmpfs this test mounts, which needs root (or a user
//! namespace: `unshare -rm cargo test --test diskfull`). Without either it says so and passes
//! only when `HIKAE_REQUIRE_DISKFULL` is unset; `.ci/run` sets it, so CI cannot skip it.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::json;

struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` to the last byte.
fn fill(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 64 * 1024];
    let mut size = block.len();
    loop {
        match f.write(&block[..size]) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) if size > 1 => size /= 2,
            Err(_) => break,
        }
    }
    let _ = f.sync_all();
    path
}

#[test]
fn a_full_disk_refuses_the_change_keeps_what_was_saved_and_saving_resumes() {
    let outer = tempfile::tempdir().expect("tempdir");
    let Some(_fs) = Tmpfs::mount(outer.path(), "48m") else {
        assert!(
            std::env::var_os("HIKAE_REQUIRE_DISKFULL").is_none(),
            "mounting a tmpfs failed: run as root or under `unshare -rm`"
        );
        eprintln!("diskfull: cannot mount a tmpfs here (not root); not run");
        return;
    };
    let dir = outer.path().join("data");
    std::fs::create_dir(&dir).expect("data dir");
    secure_dir(&dir);
    let mut app = unlocked(&dir, "D0001", "222222");

    // saved before the disk fills: one finalized record and one draft
    let f = demo_fixture("discharge-summary");
    let done = app
        .new_record(&f.template, f.patient.clone(), &f.author, f.values.clone())
        .expect("new");
    let done = app.finalize(&done.id, "医師 試験 一郎").expect("finalize");
    let sbar = demo_fixture("sbar-handover");
    let mut draft_values = sbar.values.clone();
    draft_values.insert("situation".into(), json!("満杯前に保存した内容"));
    let draft = app
        .new_record(
            &sbar.template,
            sbar.patient.clone(),
            &sbar.author,
            draft_values.clone(),
        )
        .expect("draft");
    let before = app.get(&draft.id).expect("get").values;
    let done_pdf = app.pdf(&done.id).expect("pdf").bytes;

    let filler = fill(&dir);

    // a large change cannot fit: refused with a clear error, and the draft keeps its values
    let big = "満".repeat(400_000);
    let mut changed = draft_values.clone();
    changed.insert("situation".into(), json!(big.clone()));
    let err = app
        .replace(&draft.id, changed.clone())
        .expect_err("no space for the change");
    let msg = err.to_string();
    assert!(msg.contains("disk is full"), "{msg}");
    assert!(msg.contains("nothing was written"), "{msg}");
    // finalizing (the record and its kept PDF) is refused too, never half-done
    let Err(e) = app.finalize(&draft.id, "看護師長") else {
        panic!("finalizing on a full disk succeeded: the test no longer fills the disk enough")
    };
    assert!(e.to_string().contains("disk is full"), "{e}");
    assert_eq!(
        app.get(&draft.id).expect("get").status,
        hikae_app::record::Status::Draft
    );
    assert_eq!(
        app.get(&draft.id).expect("get").values,
        before,
        "the draft is as saved"
    );
    assert_eq!(app.pdf(&done.id).expect("pdf").bytes, done_pdf);
    // the self-test sees it, and reports even though its own audit entry cannot be written
    let st = app.selftest().expect("selftest");
    let verdict = |id: &str| st.checks.iter().find(|c| c.id == id).map(|c| c.verdict);
    use hikae_app::selftest::Verdict;
    assert_eq!(verdict("disk"), Some(Verdict::Fail), "{st:?}");
    assert_eq!(verdict("audit_write"), Some(Verdict::Fail), "{st:?}");
    assert_eq!(verdict("store"), Some(Verdict::Pass), "{st:?}");
    drop(app);
    // (logging in while the disk is full is refused the same way: the login's audit entry
    // cannot be written)

    // space returns: the store opens with everything saved before, the audit chain verifies
    std::fs::remove_file(&filler).expect("free space");
    let app = unlocked(&dir, "D0001", "222222");
    assert_eq!(app.get(&draft.id).expect("get").values, before);
    assert_eq!(
        app.get(&done.id).expect("get").status,
        hikae_app::record::Status::Finalized
    );
    drop(app);
    let admin = unlocked(&dir, "A0001", ADMIN_PIN);
    let check = admin.audit_check().expect("audit");
    assert!(check.findings.is_empty(), "{:?}", check.findings);
    drop(admin);

    // and the same change saves and the record finalizes
    let mut app = unlocked(&dir, "D0001", "222222");
    app.replace(&draft.id, changed).expect("saves again");
    let rec = app.finalize(&draft.id, "看護師長").expect("finalizes");
    assert_eq!(rec.values["situation"], json!(big));
    let admin_check = {
        drop(app);
        unlocked(&dir, "A0001", ADMIN_PIN)
            .audit_check()
            .expect("audit")
    };
    assert!(
        admin_check.findings.is_empty(),
        "{:?}",
        admin_check.findings
    );
}
