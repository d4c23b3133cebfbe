//! Against a real (software) TPM: sealing, the wrong authorization, another machine, lockout.

use hikae_tpm::swtpm::SoftTpm;
use hikae_tpm::{Tpm, Unsealed};

#[test]
fn a_sealed_secret_opens_only_on_its_tpm_with_its_authorization() {
    let a = SoftTpm::start();
    let mut tpm = Tpm::open(&a.tcti()).expect("connect");
    let secret = [7u8; 32];
    let blob = tpm.seal(&secret, &[1u8; 32], true).expect("seal");
    match tpm.unseal(&blob, &[1u8; 32]).expect("unseal") {
        Unsealed::Secret(s) => assert_eq!(*s, secret),
        Unsealed::WrongAuth => panic!("the right authorization was refused"),
    }
    assert!(matches!(
        tpm.unseal(&blob, &[2u8; 32]).expect("wrong auth"),
        Unsealed::WrongAuth
    ));
    assert!(
        !blob.private.windows(32).any(|w| w == secret),
        "the blob does not hold the secret in clear"
    );

    // another machine: its TPM will not even load the blob
    let b = SoftTpm::start();
    let mut other = Tpm::open(&b.tcti()).expect("connect");
    let e = match other.unseal(&blob, &[1u8; 32]) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("another TPM opened the blob"),
    };
    assert!(e.contains("another PC's TPM"), "{e}");
}

#[test]
fn the_tpm_stops_guessing_after_its_limit() {
    let t = SoftTpm::start();
    t.set_lockout(3, 1000);
    let mut tpm = Tpm::open(&t.tcti()).expect("connect");
    let blob = tpm.seal(&[9u8; 32], &[1u8; 32], true).expect("seal");
    let no_da = tpm.seal(&[8u8; 32], &[1u8; 32], false).expect("seal");
    for i in 0..3 {
        assert!(
            matches!(
                tpm.unseal(&blob, &[i + 2; 32]).expect("guess"),
                Unsealed::WrongAuth
            ),
            "guess {i}"
        );
    }
    let l = tpm.lockout().expect("lockout");
    assert_eq!((l.max_tries, l.recovery_secs, l.failures), (3, 1000, 3));
    // now even the right authorization is refused
    let e = match tpm.unseal(&blob, &[1u8; 32]) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the TPM went on answering after its limit"),
    };
    assert!(e.contains("TPM refuses PINs"), "{e}");
    // an object made without dictionary-attack protection still opens
    assert!(matches!(
        tpm.unseal(&no_da, &[1u8; 32]).expect("no-DA object"),
        Unsealed::Secret(_)
    ));
}
