//! Keys bound to a real (software) TPM: Debian's swtpm, started and stopped by each test.
//! Each swtpm is another "machine" (its own seeds).

mod common;

use std::sync::Mutex;

use common::*;
use hikae_app::auth::StaffRole;
use hikae_app::{Hikae, Protection};
use hikae_tpm::swtpm::SoftTpm;

/// The TPM is named by an environment variable: one test at a time in this binary.
static TPM_ENV: Mutex<()> = Mutex::new(());

fn use_tpm(t: Option<&SoftTpm>) {
    let v = t.map(|t| t.tcti()).unwrap_or_else(|| "none".into());
    std::env::set_var("HIKAE_TPM_TCTI", v);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

#[test]
fn pins_are_sealed_to_the_tpm_and_a_copied_folder_opens_nothing_on_another_machine() {
    let _g = TPM_ENV.lock().unwrap_or_else(|e| e.into_inner());
    let a = SoftTpm::start();
    use_tpm(Some(&a));
    let (dir, _key, recovery) = secured_with_recovery();
    assert_eq!(Hikae::protection(dir.path()), Protection::Tpm);
    let ring: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("keyring.json")).expect("keyring"),
    )
    .expect("json");
    for s in ring["slots"].as_array().expect("slots") {
        let sealed = s.get("tpm").is_some();
        assert_eq!(
            sealed,
            s["kind"] != "recovery",
            "accounts and the emergency code are sealed to the TPM, the recovery key is not: {s}"
        );
    }
    // on its own machine the PIN opens, and a wrong one does not
    drop(unlocked(dir.path(), "D0001", "222222"));
    assert!(Hikae::unlock(dir.path(), "D0001", "222223")
        .expect("wrong PIN")
        .is_none());
    let status = unlocked(dir.path(), "A0001", ADMIN_PIN)
        .protection_report()
        .expect("report")
        .join("\n");
    assert!(
        status.contains("TPM") && status.contains(&a.tcti()),
        "{status}"
    );

    // the data folder copied to another machine (another TPM): no PIN and no emergency code
    // opens it, even the right ones
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(dir.path(), copy.path());
    let b = SoftTpm::start();
    use_tpm(Some(&b));
    for (id, pin) in [("D0001", "222222"), ("A0001", ADMIN_PIN)] {
        let e = Hikae::unlock(copy.path(), id, pin)
            .err()
            .unwrap_or_else(|| panic!("{id}: opened on another machine"))
            .to_string();
        assert!(e.contains("another PC's TPM"), "{e}");
    }
    let e = Hikae::break_glass(
        copy.path(),
        "看護師 緊急",
        StaffRole::Nurse,
        "停電",
        EMERGENCY_CODE,
    )
    .err()
    .expect("the emergency code opens nothing elsewhere")
    .to_string();
    assert!(e.contains("another PC's TPM"), "{e}");
    // without any TPM, likewise
    use_tpm(None);
    let e = Hikae::unlock(copy.path(), "D0001", "222222")
        .err()
        .expect("no TPM")
        .to_string();
    assert!(e.contains("no TPM can be reached"), "{e}");
    // the recovery key (printed at setup, kept in the safe) is the way back after a board
    // swap, by design: it is not bound to the TPM
    assert!(Hikae::unlock_with_recovery_key(copy.path(), &recovery)
        .expect("recovery")
        .is_some());
}

#[test]
fn the_tpm_stops_guessing_after_its_limit_even_around_hikae() {
    let _g = TPM_ENV.lock().unwrap_or_else(|e| e.into_inner());
    let t = SoftTpm::start();
    use_tpm(Some(&t));
    let (dir, _key, recovery) = secured_with_recovery();
    // the hospital's IT sets the TPM's limit (here 3 failures, one forgiven per 1000 s)
    t.set_lockout(3, 1000);
    for pin in ["000001", "000002", "000003"] {
        assert!(Hikae::unlock(dir.path(), "D0001", pin)
            .expect("a wrong PIN is counted")
            .is_none());
    }
    // someone who resets Hikae's own failure counts (deletes the file) gains nothing: the TPM
    // refuses even the right PIN now
    for f in std::fs::read_dir(dir.path()).expect("dir") {
        let p = f.expect("entry").path();
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().contains("attempts"))
        {
            std::fs::remove_file(&p).expect("remove attempts");
        }
    }
    let e = Hikae::unlock(dir.path(), "N0001", "333333")
        .err()
        .expect("locked out by the TPM")
        .to_string();
    assert!(e.contains("TPM refuses PINs"), "{e}");
    // break-glass still works: the emergency code is sealed without the TPM's lockout, so
    // others' wrong PINs never block it (Hikae counts its wrong codes itself)
    let bg = Hikae::break_glass(
        dir.path(),
        "看護師 緊急",
        StaffRole::Nurse,
        "停電",
        EMERGENCY_CODE,
    )
    .expect("break-glass during a TPM lockout");
    drop(bg);
    // the recovery key is not subject to the TPM's lockout (it is 160 bits, not 6 digits)
    assert!(Hikae::unlock_with_recovery_key(dir.path(), &recovery)
        .expect("recovery")
        .is_some());
}

#[test]
fn without_a_tpm_the_protection_says_pins_only() {
    let _g = TPM_ENV.lock().unwrap_or_else(|e| e.into_inner());
    use_tpm(None);
    let (dir, _key) = secured();
    assert_eq!(Hikae::protection(dir.path()), Protection::Pin);
    let report = unlocked(dir.path(), "A0001", ADMIN_PIN)
        .protection_report()
        .expect("report")
        .join("\n");
    assert!(
        report.contains("PINs only") && report.contains("account D0001"),
        "{report}"
    );
}
