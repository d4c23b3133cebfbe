//! Every attack TUF names, attempted against the checks, and refused with what is wrong.

use super::*;
use chrono::Duration;

struct Key {
    id: String,
    public: String,
    secret: String,
}

fn key(id: &str) -> Key {
    let kp = minisign::KeyPair::generate_unencrypted_keypair().expect("keygen");
    let public = kp.pk.to_base64();
    let secret = kp.sk.to_box(None).expect("box").to_string();
    Key {
        id: id.into(),
        public,
        secret,
    }
}

fn signers(keys: &[&Key]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| (k.id.clone(), k.secret.clone()))
        .collect()
}

struct Channel {
    root_keys: Vec<Key>,
    ts: Key,
    snap: Key,
    tgt: Key,
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

impl Channel {
    fn new() -> Channel {
        Channel {
            root_keys: vec![key("root-a"), key("root-b"), key("root-c")],
            ts: key("timestamp"),
            snap: key("snapshot"),
            tgt: key("targets"),
        }
    }

    fn root(&self, version: u64, root_ids: &[&str], threshold: usize) -> Root {
        let mut keys = BTreeMap::new();
        for k in self
            .root_keys
            .iter()
            .chain([&self.ts, &self.snap, &self.tgt])
        {
            keys.insert(k.id.clone(), k.public.clone());
        }
        let role = |ids: &[&str], t: usize| Role {
            keyids: ids.iter().map(|s| s.to_string()).collect(),
            threshold: t,
        };
        Root {
            kind: "root".into(),
            version,
            expires: now() + Duration::days(365),
            keys,
            roles: BTreeMap::from([
                ("root".to_string(), role(root_ids, threshold)),
                ("timestamp".to_string(), role(&["timestamp"], 1)),
                ("snapshot".to_string(), role(&["snapshot"], 1)),
                ("targets".to_string(), role(&["targets"], 1)),
            ]),
        }
    }

    fn root_file(&self, r: &Root, by: &[&Key]) -> Vec<u8> {
        sign("root", r.version, r, &signers(by)).expect("sign root")
    }

    /// A release: targets (version v) with `files`, the snapshot pinning it, the timestamp.
    fn release(
        &self,
        v: u64,
        files: &[(&str, &[u8])],
        ts_expires: DateTime<Utc>,
    ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let targets = Targets {
            kind: "targets".into(),
            version: v,
            expires: now() + Duration::days(90),
            targets: files
                .iter()
                .map(|(p, b)| {
                    (
                        p.to_string(),
                        Target {
                            kind: TargetKind::Pack,
                            length: b.len() as u64,
                            sha256: sha256_hex(b),
                            signature: None,
                        },
                    )
                })
                .collect(),
        };
        let tfile = sign("targets", v, &targets, &signers(&[&self.tgt])).expect("targets");
        let snap = Snapshot {
            kind: "snapshot".into(),
            version: v,
            expires: now() + Duration::days(30),
            targets: meta_ref(v, &tfile),
        };
        let sfile = sign("snapshot", v, &snap, &signers(&[&self.snap])).expect("snapshot");
        let ts = Timestamp {
            kind: "timestamp".into(),
            version: v,
            expires: ts_expires,
            root_version: 1,
            snapshot: meta_ref(v, &sfile),
        };
        let tsfile = sign("timestamp", v, &ts, &signers(&[&self.ts])).expect("timestamp");
        (tsfile, sfile, tfile)
    }

    fn trusted(&self) -> Trusted {
        let r = self.root(1, &["root-a", "root-b", "root-c"], 2);
        Trusted::first(&self.root_file(&r, &[&self.root_keys[0], &self.root_keys[1]]))
            .expect("first root")
    }
}

fn fetched<'a>(r: &'a (Vec<u8>, Vec<u8>, Vec<u8>)) -> Fetched<'a> {
    Fetched {
        roots: vec![],
        timestamp: &r.0,
        snapshot: Some(&r.1),
        targets: Some(&r.2),
    }
}

fn refused(r: Result<(Update, Trusted)>) -> String {
    match r {
        Ok(u) => panic!("accepted: {:?}", u.0),
        Err(e) => e.to_string(),
    }
}

const PACK: &[u8] = b"pack archive bytes v1";

#[test]
fn a_release_is_installed_once_and_an_unchanged_channel_is_one_small_file() {
    let c = Channel::new();
    let t = c.trusted();
    let rel = c.release(
        1,
        &[("packs/hikae-default-0.2.0.hikaepack", PACK)],
        now() + Duration::days(1),
    );
    let (u, t2) = check(&t, &fetched(&rel), now()).expect("release 1");
    let Update::New(targets) = u else {
        panic!("new release expected")
    };
    assert_eq!(
        check_target(&targets, "packs/hikae-default-0.2.0.hikaepack", PACK)
            .map(|t| t.kind)
            .ok(),
        Some(TargetKind::Pack)
    );
    assert_eq!((t2.timestamp, t2.snapshot, t2.targets), (1, 1, 1));
    // the next check: the same timestamp, nothing else fetched
    let again = Fetched {
        roots: vec![],
        timestamp: &rel.0,
        snapshot: None,
        targets: None,
    };
    assert_eq!(
        check(&t2, &again, now()).expect("unchanged").0,
        Update::Unchanged
    );
}

#[test]
fn a_changed_or_unlisted_file_is_refused() {
    let c = Channel::new();
    let rel = c.release(1, &[("packs/a.hikaepack", PACK)], now() + Duration::days(1));
    let (u, _) = check(&c.trusted(), &fetched(&rel), now()).expect("release");
    let Update::New(targets) = u else { panic!() };
    let e = check_target(&targets, "packs/a.hikaepack", b"pack archive bytes v2")
        .expect_err("tampered");
    assert!(e.to_string().contains("SHA-256"), "{e}");
    let e = check_target(&targets, "packs/a.hikaepack", b"short").expect_err("length");
    assert!(e.to_string().contains("bytes"), "{e}");
    let e = check_target(&targets, "packs/evil.hikaepack", PACK).expect_err("arbitrary");
    assert!(e.to_string().contains("not in targets.json"), "{e}");
}

#[test]
fn rolled_back_metadata_is_refused() {
    let c = Channel::new();
    let r1 = c.release(1, &[("p", PACK)], now() + Duration::days(1));
    let r2 = c.release(2, &[("p", b"newer")], now() + Duration::days(1));
    let (_, t) = check(&c.trusted(), &fetched(&r2), now()).expect("release 2");
    let e = refused(check(&t, &fetched(&r1), now()));
    assert!(e.contains("rollback"), "{e}");
}

#[test]
fn expired_metadata_stops_installing() {
    let c = Channel::new();
    let stale = c.release(1, &[("p", PACK)], now() - Duration::minutes(1));
    let e = refused(check(&c.trusted(), &fetched(&stale), now()));
    assert!(e.contains("expired") && e.contains("frozen"), "{e}");
}

#[test]
fn files_of_different_releases_are_refused() {
    let c = Channel::new();
    let r1 = c.release(1, &[("p", PACK)], now() + Duration::days(1));
    let r2 = c.release(2, &[("p", b"newer")], now() + Duration::days(1));
    // release 2's timestamp and snapshot with release 1's targets
    let mixed = Fetched {
        roots: vec![],
        timestamp: &r2.0,
        snapshot: Some(&r2.1),
        targets: Some(&r1.2),
    };
    let e = refused(check(&c.trusted(), &mixed, now()));
    assert!(
        e.contains("targets.json is not the file its pin names"),
        "{e}"
    );
    // release 2's timestamp with release 1's snapshot
    let mixed = Fetched {
        roots: vec![],
        timestamp: &r2.0,
        snapshot: Some(&r1.1),
        targets: Some(&r1.2),
    };
    let e = refused(check(&c.trusted(), &mixed, now()));
    assert!(
        e.contains("snapshot.json is not the file its pin names"),
        "{e}"
    );
}

#[test]
fn a_new_root_needs_the_threshold_of_old_and_new_keys() {
    let c = Channel::new();
    let t = c.trusted();
    let rel = c.release(1, &[("p", PACK)], now() + Duration::days(1));
    // one stolen root key signs a root that trusts only the attacker's key
    let mut evil = c.root(2, &["root-a"], 1);
    let attacker = key("attacker");
    evil.keys.insert("attacker".into(), attacker.public.clone());
    evil.roles.insert(
        "targets".into(),
        Role {
            keyids: vec!["attacker".into()],
            threshold: 1,
        },
    );
    let evil_file = c.root_file(&evil, &[&c.root_keys[0]]);
    let f = Fetched {
        roots: vec![&evil_file],
        timestamp: &rel.0,
        snapshot: Some(&rel.1),
        targets: Some(&rel.2),
    };
    let e = refused(check(&t, &f, now()));
    assert!(e.contains("1 valid signature(s) of the 2"), "{e}");
    // two of three sign a real rotation (root-c retired): accepted
    let next = c.root(2, &["root-a", "root-b"], 2);
    let next_file = c.root_file(&next, &[&c.root_keys[0], &c.root_keys[1]]);
    let f = Fetched {
        roots: vec![&next_file],
        timestamp: &rel.0,
        snapshot: Some(&rel.1),
        targets: Some(&rel.2),
    };
    let (_, t2) = check(&t, &f, now()).expect("rotation");
    assert_eq!(t2.root.version, 2);
    // a skipped version is refused
    let skip = c.root(4, &["root-a", "root-b"], 2);
    let skip_file = c.root_file(&skip, &[&c.root_keys[0], &c.root_keys[1]]);
    let f = Fetched {
        roots: vec![&skip_file],
        timestamp: &rel.0,
        snapshot: Some(&rel.1),
        targets: Some(&rel.2),
    };
    let e = refused(check(&t2, &f, now()));
    assert!(e.contains("one at a time"), "{e}");
}

#[test]
fn a_signature_by_the_wrong_key_or_for_another_role_is_refused() {
    let c = Channel::new();
    let rel = c.release(1, &[("p", PACK)], now() + Duration::days(1));
    // targets signed by the snapshot key (a key of another role)
    let targets: Targets = {
        let env: serde_json::Value = serde_json::from_slice(&rel.2).expect("json");
        serde_json::from_value(env["signed"].clone()).expect("targets")
    };
    let wrong = sign("targets", 1, &targets, &signers(&[&c.snap])).expect("sign");
    let snap = Snapshot {
        kind: "snapshot".into(),
        version: 1,
        expires: now() + Duration::days(1),
        targets: meta_ref(1, &wrong),
    };
    let sfile = sign("snapshot", 1, &snap, &signers(&[&c.snap])).expect("sign");
    let ts = Timestamp {
        kind: "timestamp".into(),
        version: 1,
        expires: now() + Duration::days(1),
        root_version: 1,
        snapshot: meta_ref(1, &sfile),
    };
    let tsfile = sign("timestamp", 1, &ts, &signers(&[&c.ts])).expect("sign");
    let f = Fetched {
        roots: vec![],
        timestamp: &tsfile,
        snapshot: Some(&sfile),
        targets: Some(&wrong),
    };
    let e = refused(check(&c.trusted(), &f, now()));
    assert!(
        e.contains("targets.json version 1 has 0 valid signature(s)"),
        "{e}"
    );
    // the timestamp key's signature of a timestamp, presented as the snapshot's (trusted
    // comment names the role): refused
    let as_snapshot = sign("timestamp", 1, &snap, &signers(&[&c.ts])).expect("sign");
    let ts = Timestamp {
        kind: "timestamp".into(),
        version: 1,
        expires: now() + Duration::days(1),
        root_version: 1,
        snapshot: meta_ref(1, &as_snapshot),
    };
    let tsfile = sign("timestamp", 1, &ts, &signers(&[&c.ts])).expect("sign");
    let f = Fetched {
        roots: vec![],
        timestamp: &tsfile,
        snapshot: Some(&as_snapshot),
        targets: Some(&rel.2),
    };
    let e = refused(check(&c.trusted(), &f, now()));
    assert!(
        e.contains("snapshot.json version 1 has 0 valid signature(s)"),
        "{e}"
    );
}

#[test]
fn a_target_path_that_escapes_the_channel_is_refused() {
    let c = Channel::new();
    let rel = c.release(
        1,
        &[("../../etc/hikae/config.toml", b"x")],
        now() + Duration::days(1),
    );
    let e = refused(check(&c.trusted(), &fetched(&rel), now()));
    assert!(e.contains("not a plain relative path"), "{e}");
}

#[test]
fn garbage_is_refused_not_a_panic() {
    let c = Channel::new();
    for junk in [
        &b""[..],
        b"{}",
        b"[1,2]",
        b"{\"signed\": 5, \"signatures\": []}",
        &[0xff, 0xfe][..],
    ] {
        let f = Fetched {
            roots: vec![],
            timestamp: junk,
            snapshot: None,
            targets: None,
        };
        assert!(check(&c.trusted(), &f, now()).is_err());
        assert!(Trusted::first(junk).is_err());
    }
}

#[test]
fn one_key_listed_under_two_names_signs_once() {
    let c = Channel::new();
    let t = c.trusted();
    let rel = c.release(1, &[("p", PACK)], now() + Duration::days(1));
    // a root whose "two" root keys are one key: its holder alone could rotate everything
    let mut r = c.root(2, &["root-a", "root-a2"], 2);
    r.keys
        .insert("root-a2".into(), c.root_keys[0].public.clone());
    let twice = sign(
        "root",
        2,
        &r,
        &[
            (c.root_keys[0].id.clone(), c.root_keys[0].secret.clone()),
            ("root-a2".into(), c.root_keys[0].secret.clone()),
        ],
    )
    .expect("sign");
    // the old root's threshold (2 of a, b, c) is met only by a; then the new root's own is
    // met by one key under two names: refused either way
    let f = Fetched {
        roots: vec![&twice],
        timestamp: &rel.0,
        snapshot: Some(&rel.1),
        targets: Some(&rel.2),
    };
    let e = refused(check(&t, &f, now()));
    assert!(e.contains("1 valid signature(s) of the 2"), "{e}");
    // the same with a real second signature from the old root: the new root's own threshold
    // still counts root-a once
    let both_old = sign(
        "root",
        2,
        &r,
        &[
            (c.root_keys[0].id.clone(), c.root_keys[0].secret.clone()),
            (c.root_keys[1].id.clone(), c.root_keys[1].secret.clone()),
            ("root-a2".into(), c.root_keys[0].secret.clone()),
        ],
    )
    .expect("sign");
    let f = Fetched {
        roots: vec![&both_old],
        timestamp: &rel.0,
        snapshot: Some(&rel.1),
        targets: Some(&rel.2),
    };
    let e = refused(check(&t, &f, now()));
    assert!(e.contains("1 valid signature(s) of the 2"), "{e}");
}

#[test]
fn a_pin_that_is_not_a_sha256_is_refused_not_a_panic() {
    let c = Channel::new();
    let rel = c.release(1, &[("p", PACK)], now() + Duration::days(1));
    let ts = Timestamp {
        kind: "timestamp".into(),
        version: 1,
        expires: now() + Duration::days(1),
        root_version: 1,
        snapshot: MetaRef {
            version: 1,
            length: rel.1.len() as u64,
            sha256: "é".repeat(40),
        },
    };
    let tsfile = sign("timestamp", 1, &ts, &signers(&[&c.ts])).expect("sign");
    let f = Fetched {
        roots: vec![],
        timestamp: &tsfile,
        snapshot: Some(&rel.1),
        targets: Some(&rel.2),
    };
    let e = refused(check(&c.trusted(), &f, now()));
    assert!(e.contains("64 hex digits"), "{e}");
}

mod publishing {
    use super::super::publish::*;
    use super::*;

    struct Admin {
        keys: Keys,
        root_file: Vec<u8>,
        root: Root,
    }

    fn admin() -> Admin {
        let mut keys = Keys::default();
        let mut publics: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (name, n) in [
            ("root", 2),
            ("timestamp", 1),
            ("snapshot", 1),
            ("targets", 1),
        ] {
            for _ in 0..n {
                let (p, s) = new_key().expect("key");
                assert_eq!(public_of(&s).expect("public"), p);
                match name {
                    "root" => keys.root.push((key_id(&p), s)),
                    "timestamp" => keys.timestamp.push((key_id(&p), s)),
                    "snapshot" => keys.snapshot.push((key_id(&p), s)),
                    _ => keys.targets.push((key_id(&p), s)),
                }
                publics.entry(name).or_default().push(p);
            }
        }
        let r = root(1, &publics, 2, now() + Duration::days(365)).expect("root");
        let root_file = sign_root(&r, &keys.root).expect("sign");
        Admin {
            keys,
            root_file,
            root: r,
        }
    }

    fn target(bytes: &[u8]) -> Target {
        Target {
            kind: TargetKind::Config,
            length: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            signature: None,
        }
    }

    #[test]
    fn published_releases_verify_and_a_resigned_timestamp_is_unchanged() {
        let a = admin();
        let e = Expiry::default();
        let t0 = Trusted::first(&a.root_file).expect("first");
        let files = BTreeMap::from([("config/ward.toml".to_string(), target(b"[fleet]\n"))]);
        let r1 = release(&a.root, None, files.clone(), &a.keys, &e, now(), false).expect("r1");
        let (ts, sn, tg) = (
            r1.timestamp.clone(),
            r1.snapshot.clone().expect("snapshot"),
            r1.targets.clone().expect("targets"),
        );
        let f = Fetched {
            roots: vec![],
            timestamp: &ts,
            snapshot: Some(&sn),
            targets: Some(&tg),
        };
        let (u, t1) = check(&t0, &f, now()).expect("check");
        assert!(matches!(u, Update::New(ref t) if t.targets == files));
        // the publisher builds on what it verifies
        let cur = current(&a.root_file, &ts, &sn, &tg).expect("current");
        let r2 = release(
            &a.root,
            Some(&cur),
            files.clone(),
            &a.keys,
            &e,
            now(),
            false,
        )
        .expect("r2");
        assert!(
            r2.targets.is_none() && r2.snapshot.is_none(),
            "only a timestamp"
        );
        let f = Fetched {
            roots: vec![],
            timestamp: &r2.timestamp,
            snapshot: None,
            targets: None,
        };
        let (u, t2) = check(&t1, &f, now()).expect("unchanged");
        assert_eq!(u, Update::Unchanged);
        assert_eq!(t2.timestamp, 2);
        // a tampered channel folder is not signed over
        let mut bad = tg.clone();
        let last = bad.len() - 3;
        bad[last] ^= 1;
        let e2 = current(&a.root_file, &ts, &sn, &bad)
            .err()
            .expect("refused");
        assert!(e2.to_string().contains("does not verify"), "{e2}");
    }

    #[test]
    fn a_rotated_key_needs_both_roots_and_an_unfetched_root_is_noticed() {
        let a = admin();
        let e = Expiry::default();
        let t0 = Trusted::first(&a.root_file).expect("first");
        let (p, s) = new_key().expect("key");
        let r2 = rotated(
            &a.root,
            "timestamp",
            std::slice::from_ref(&p),
            1,
            now() + Duration::days(365),
        )
        .expect("rotated");
        assert_eq!(r2.version, 2);
        assert_eq!(r2.roles["root"].threshold, 2);
        let r2_file = sign_root(&r2, &a.keys.root).expect("sign");
        let mut keys = a.keys;
        let old_ts = std::mem::replace(&mut keys.timestamp, vec![(key_id(&p), s)]);
        let files = BTreeMap::from([("config/ward.toml".to_string(), target(b"x"))]);
        let rel = release(&r2, None, files, &keys, &e, now(), false).expect("release");
        let (sn, tg) = (rel.snapshot.expect("s"), rel.targets.expect("t"));
        // the PC has not fetched root 2: the timestamp says so
        let f = Fetched {
            roots: vec![],
            timestamp: &rel.timestamp,
            snapshot: Some(&sn),
            targets: Some(&tg),
        };
        let msg = refused(check(&t0, &f, now()));
        assert!(msg.contains("newer root(s) were not fetched"), "{msg}");
        let f = Fetched {
            roots: vec![&r2_file],
            timestamp: &rel.timestamp,
            snapshot: Some(&sn),
            targets: Some(&tg),
        };
        let (_, t1) = check(&t0, &f, now()).expect("rotated");
        assert_eq!(t1.root.version, 2);
        // the retired timestamp key signs nothing now
        keys.timestamp = old_ts;
        let files = BTreeMap::from([("config/ward.toml".to_string(), target(b"y"))]);
        let rel = release(&r2, None, files, &keys, &e, now(), false).expect("release");
        let f = Fetched {
            roots: vec![],
            timestamp: &rel.timestamp,
            snapshot: rel.snapshot.as_deref(),
            targets: rel.targets.as_deref(),
        };
        let msg = refused(check(&t1, &f, now()));
        assert!(msg.contains("0 valid signature(s)"), "{msg}");
    }
}
