//! The administrator's signed channel end to end: `hikae fleet channel-init` and `publish` on
//! the administrator's side; two encrypted ward PCs, one polling HTTPS-style from a static web
//! server on loopback and one reading a drop folder, pin the root, check, and install the same
//! trusted keys, roster, pack and config fragment. Then each attack TUF names is tried through
//! both transports, and refused with what is wrong, leaving what is installed as it was.

mod common;
#[path = "support/static_http.rs"]
mod static_http;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use common::*;
use hikae_app::authoring::{archive, sign};
use hikae_app::Hikae;
use static_http::StaticServer;

/// A small valid pack; `marker` tells versions apart.
fn pack(version: &str, marker: &str) -> BTreeMap<String, Vec<u8>> {
    let mut f = BTreeMap::new();
    let mut put = |p: &str, s: &str| {
        f.insert(p.to_string(), s.as_bytes().to_vec());
    };
    put(
        "pack.toml",
        &format!(
            "id = \"ward-east\"\nname = {{ ja = \"東病棟\" }}\nversion = \"{version}\"\nstate = \"approved\"\nmin_app_version = \"0.1.0\"\n\
             [[template]]\nid = \"ward-note\"\napproved_uses = [\"病棟メモ\"]\ndata_categories = [\"看護情報\"]\n"
        ),
    );
    put(
        "ward-note/form.toml",
        "id = \"ward-note\"\nversion = \"1.0.0\"\ntitle = { ja = \"病棟メモ\" }\n[[fields]]\nid = \"body\"\nlabel = { ja = \"内容\" }\ntype = \"multiline\"\nrequired = true\n",
    );
    put(
        "ward-note/record.html",
        &format!("<h1>病棟メモ（{marker}）</h1>\n<p>{{{{ d.body }}}}</p>\n"),
    );
    put("ward-note/record.txt", "{{ d.body }}\n");
    f
}

/// The administrator's desk: channel folder, keys, the pack and roster signing keys.
struct Desk {
    _tmp: tempfile::TempDir,
    channel: PathBuf,
    keys: PathBuf,
    work: PathBuf,
    pack_key: (String, String),
    roster_key: (String, String),
}

fn line(public_file: &str) -> String {
    sign::public_key_line(public_file).expect("key line")
}

impl Desk {
    fn new() -> Desk {
        let tmp = tempfile::tempdir().expect("tmp");
        let channel = tmp.path().join("channel");
        let keys = tmp.path().join("channel-keys");
        let work = tmp.path().join("work");
        std::fs::create_dir_all(&work).expect("work");
        let o = cli(
            &work,
            &[
                "fleet",
                "channel-init",
                &channel.display().to_string(),
                "--keys",
                &keys.display().to_string(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("2 root key(s)"), "{}", stdout(&o));
        Desk {
            _tmp: tmp,
            channel,
            keys,
            work,
            pack_key: signing_key(),
            roster_key: signing_key(),
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.work.join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// A pack archive signed with the pack key, `FILE.minisig` beside it.
    fn pack(&self, version: &str, marker: &str) -> PathBuf {
        let bytes = archive::build(&pack(version, marker)).expect("build");
        let sig = sign::sign(&bytes, &self.pack_key.1, None, "ward-east", version).expect("sign");
        let p = self.file("ward-east.hikaepack", &bytes);
        self.file("ward-east.hikaepack.minisig", sig.as_bytes());
        p
    }

    fn roster(&self, version: u64) -> PathBuf {
        let text = roster_text(version);
        let sig = sign_roster(&text, &self.roster_key.1, version);
        self.file("roster.toml.minisig", sig.as_bytes());
        self.file("roster.toml", text.as_bytes())
    }

    fn trusted_keys(&self) -> PathBuf {
        self.file(
            "trusted-keys",
            format!(
                "# the hospital's signing keys\npacks {}\nrosters {}\n",
                line(&self.pack_key.0),
                line(&self.roster_key.0)
            )
            .as_bytes(),
        )
    }

    fn publish(&self, extra: &[&str]) -> String {
        let (c, k) = (
            self.channel.display().to_string(),
            self.keys.display().to_string(),
        );
        let mut args = vec!["fleet", "publish", c.as_str(), "--keys", k.as_str()];
        args.extend_from_slice(extra);
        let o = cli(&self.work, &args);
        assert!(o.status.success(), "publish {extra:?}: {}", stderr(&o));
        stdout(&o)
    }

    fn meta(&self) -> [Vec<u8>; 3] {
        ["timestamp.json", "snapshot.json", "targets.json"]
            .map(|f| std::fs::read(self.channel.join(f)).expect("meta"))
    }

    fn put_meta(&self, m: &[Vec<u8>; 3]) {
        for (f, b) in ["timestamp.json", "snapshot.json", "targets.json"]
            .iter()
            .zip(m)
        {
            std::fs::write(self.channel.join(f), b).expect("meta");
        }
    }

    fn secret(&self, name: &str) -> (String, String) {
        let s = std::fs::read_to_string(self.keys.join(name)).expect("key");
        let public = hikae_channel::publish::public_of(&s).expect("public");
        (hikae_channel::publish::key_id(&public), s)
    }
}

/// An encrypted ward PC reading the channel from `source` (`url = …` or `folder = …`).
struct Pc {
    dir: tempfile::TempDir,
}

impl Pc {
    fn new(desk: &Desk, source: &str) -> Pc {
        let (dir, _) = secured();
        std::fs::write(
            dir.path().join("config.toml"),
            format!("[channel]\n{source}\ncheck_minutes = 60\n"),
        )
        .expect("config");
        let mut admin = self::admin(dir.path());
        let root = std::fs::read(desk.channel.join("root.json")).expect("root");
        assert_eq!(admin.channel_trust(&root).expect("pin"), 1);
        // a root is pinned once; later ones come through the channel
        assert!(admin.channel_trust(&root).is_err());
        Pc { dir }
    }

    fn app(&self) -> Hikae {
        admin(self.dir.path())
    }

    /// What the channel installed here, as the PC sees it.
    fn state(&self) -> (Vec<String>, Option<u64>, u64, BTreeMap<String, String>) {
        let app = self.app();
        let packs = app
            .installed_packs()
            .into_iter()
            .filter(|v| v.active)
            .map(|v| format!("{} {}", v.id, v.version))
            .collect();
        let roster = app.roster().expect("roster").map(|r| r.version);
        let cfg = hikae_app::config::load(self.dir.path()).expect("config");
        let status = app.channel_status().expect("status");
        (packs, roster, cfg.monitor.interval_secs, status.installed)
    }
}

fn admin(dir: &Path) -> Hikae {
    unlocked(dir, "A0001", ADMIN_PIN)
}

#[test]
fn a_release_reaches_a_pc_over_https_and_one_by_drop_folder_alike() {
    let desk = Desk::new();
    let server = StaticServer::serve(desk.channel.clone());
    // before anything is published a check says so
    let early = Pc::new(&desk, &format!("url = \"{}\"", server.base));
    let e = early
        .app()
        .channel_check()
        .expect_err("nothing yet")
        .to_string();
    assert!(e.contains("no timestamp.json"), "{e}");

    let (k, r, p) = (
        desk.trusted_keys(),
        desk.roster(2),
        desk.pack("0.2.0", "v2"),
    );
    let frag = desk.file("ward.toml", b"[monitor]\ninterval_secs = 45\n");
    let out = desk.publish(&[
        "--trusted-keys",
        &k.display().to_string(),
        "--roster",
        &r.display().to_string(),
        "--pack",
        &p.display().to_string(),
        "--config",
        &frag.display().to_string(),
    ]);
    assert!(out.contains("release 1"), "{out}");

    let web = Pc::new(&desk, &format!("url = \"{}\"", server.base));
    let drop = Pc::new(&desk, &format!("folder = \"{}\"", desk.channel.display()));
    for pc in [&web, &drop] {
        let c = pc
            .app()
            .channel_check()
            .expect("check")
            .expect("configured");
        assert_eq!(c.release, 1);
        assert_eq!(c.installed.len(), 4, "{:?}", c.installed);
        assert!(c.refused.is_empty(), "{:?}", c.refused);
    }
    let (a, b) = (web.state(), drop.state());
    assert_eq!(a, b, "HTTPS and the drop folder give the same result");
    assert_eq!(a.0, ["ward-east 0.2.0"]);
    assert_eq!(
        a.1,
        Some(2),
        "the channel's roster, signed by a key the channel made trusted"
    );
    assert_eq!(a.2, 45, "the config fragment");
    assert_eq!(a.3.len(), 4);

    // nothing new: one request, nothing installed
    let before = server.requests();
    let c = web
        .app()
        .channel_check()
        .expect("check")
        .expect("configured");
    assert!(c.unchanged && c.installed.is_empty(), "{c:?}");
    assert_eq!((c.requests, server.requests() - before), (1, 1));
    let c = drop
        .app()
        .channel_check()
        .expect("check")
        .expect("configured");
    assert!(c.unchanged && c.requests == 1, "{c:?}");

    // the next release: a new pack version only; both PCs take it, fetching only that file
    let p3 = desk.pack("0.3.0", "v3");
    desk.publish(&["--pack", &p3.display().to_string()]);
    for pc in [&web, &drop] {
        let c = pc
            .app()
            .channel_check()
            .expect("check")
            .expect("configured");
        assert_eq!(c.release, 2);
        assert_eq!(c.installed.len(), 1, "{:?}", c.installed);
        assert!(
            c.installed[0].contains("ward-east 0.3.0"),
            "{:?}",
            c.installed
        );
        // timestamp, snapshot, targets, the pack
        assert_eq!(c.requests, 4, "{c:?}");
    }
    assert_eq!(web.state(), drop.state());

    // a re-signed timestamp with nothing new keeps the release
    let out = desk.publish(&[]);
    assert!(
        out.contains("wrote timestamp.json") && out.contains("release 2"),
        "{out}"
    );
    let c = web
        .app()
        .channel_check()
        .expect("check")
        .expect("configured");
    assert!(c.unchanged && c.release == 2, "{c:?}");

    // each check is audited with what it did
    let app = web.app();
    let log = app
        .audit_entries(&hikae_app::AuditQuery::default())
        .expect("audit");
    let checks: Vec<_> = log
        .iter()
        .filter_map(|e| e.event.detail.as_deref())
        .filter(|d| d.starts_with("channel check of"))
        .collect();
    assert_eq!(checks.len(), 4, "{checks:?}");
    assert!(
        log.iter()
            .filter_map(|e| e.event.detail.as_deref())
            .any(|d| d.contains("from the channel")),
        "the trusted key's entry"
    );
}

/// Every attack, through each transport: refused with what is wrong, nothing installed
/// changes, and the PC takes the good release once the channel is mended.
#[test]
fn each_attack_is_refused_through_either_transport_and_what_is_installed_stays() {
    let desk = Desk::new();
    let server = StaticServer::serve(desk.channel.clone());
    let (k, p) = (desk.trusted_keys(), desk.pack("0.2.0", "v2"));
    desk.publish(&[
        "--trusted-keys",
        &k.display().to_string(),
        "--pack",
        &p.display().to_string(),
    ]);
    let release1 = desk.meta();
    let pcs = [
        Pc::new(&desk, &format!("url = \"{}\"", server.base)),
        Pc::new(&desk, &format!("folder = \"{}\"", desk.channel.display())),
    ];
    for pc in &pcs {
        pc.app()
            .channel_check()
            .expect("check")
            .expect("configured");
    }
    let good = pcs[0].state();
    assert_eq!(good.0, ["ward-east 0.2.0"]);
    let refused = |what: &str, needle: &str| {
        for pc in &pcs {
            let e = pc.app().channel_check();
            let msg = match e {
                Err(e) => e.to_string(),
                Ok(c) => c.expect("configured").refused.join("; "),
            };
            assert!(msg.contains(needle), "{what}: {msg}");
            assert_eq!(pc.state(), good, "{what}: nothing installed changed");
        }
    };

    // 1. a tampered target: release 2 lists a new pack, whose bytes are changed after publishing
    let p3 = desk.pack("0.3.0", "v3");
    desk.publish(&["--pack", &p3.display().to_string()]);
    let release2 = desk.meta();
    let target = desk.channel.join("targets/packs/ward-east.hikaepack");
    let real = std::fs::read(&target).expect("target");
    let mut bad = real.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    std::fs::write(&target, &bad).expect("tamper");
    refused("tampered target", "changed after publishing, refused");
    // the readiness report carries the refusal, and the release this PC still follows
    for pc in &pcs {
        let r = pc.app().readiness().expect("readiness");
        // release 2's metadata verified; one of its files did not
        assert_eq!(r.channel_release, Some(2), "{r:?}");
        let why = r.channel_refused.expect("refusal in the readiness report");
        assert!(why.contains("changed after publishing"), "{why}");
    }
    std::fs::write(&target, &real).expect("mend");
    for pc in &pcs {
        let c = pc
            .app()
            .channel_check()
            .expect("check")
            .expect("configured");
        assert!(c.installed.iter().any(|i| i.contains("0.3.0")), "{c:?}");
        let r = pc.app().readiness().expect("readiness");
        assert_eq!((r.channel_release, r.channel_refused), (Some(2), None));
    }
    let good = pcs[0].state();
    let refused = |what: &str, needle: &str| {
        for pc in &pcs {
            let msg = match pc.app().channel_check() {
                Err(e) => e.to_string(),
                Ok(c) => c.expect("configured").refused.join("; "),
            };
            assert!(msg.contains(needle), "{what}: {msg}");
            assert_eq!(pc.state(), good, "{what}: nothing installed changed");
        }
    };

    // 2. rolled-back metadata: release 1's files put back
    desk.put_meta(&release1);
    refused("rollback", "rollback refused");
    for pc in &pcs {
        let r = pc.app().readiness().expect("readiness");
        assert_eq!(r.channel_release, Some(2), "{r:?}");
        let why = r.channel_refused.expect("refusal in the readiness report");
        assert!(why.contains("rollback refused"), "{why}");
    }
    desk.put_meta(&release2);

    // 3. mixed releases: release 3's timestamp and snapshot with release 2's targets
    let p4 = desk.pack("0.4.0", "v4");
    desk.publish(&["--pack", &p4.display().to_string()]);
    let release3 = desk.meta();
    desk.put_meta(&[
        release3[0].clone(),
        release3[1].clone(),
        release2[2].clone(),
    ]);
    refused("mixed", "another release's or a changed file");
    desk.put_meta(&release3);

    // 4. expired metadata: a timestamp signed properly but expired (a frozen channel)
    let ts: serde_json::Value = serde_json::from_slice(&release3[0]).expect("ts");
    let mut signed: hikae_channel::Timestamp =
        serde_json::from_value(ts["signed"].clone()).expect("signed");
    signed.version += 1;
    signed.expires = Utc::now() - Duration::hours(1);
    let stale = hikae_channel::sign(
        "timestamp",
        signed.version,
        &signed,
        &[desk.secret("timestamp-1.key")],
    )
    .expect("sign");
    std::fs::write(desk.channel.join("timestamp.json"), &stale).expect("stale");
    refused("expired", "the channel is stale (frozen)");
    // frozen, what is installed keeps working
    for pc in &pcs {
        let app = pc.app();
        assert!(app
            .templates()
            .iter()
            .any(|t| t.template().form.id == "ward-note"));
    }
    desk.put_meta(&release3);

    // 5. one of the two root keys signs a new root that trusts the attacker's targets key
    let (attacker, _) = hikae_channel::publish::new_key().expect("key");
    let root1: serde_json::Value =
        serde_json::from_slice(&std::fs::read(desk.channel.join("1.root.json")).expect("root"))
            .expect("json");
    let root1: hikae_channel::Root = serde_json::from_value(root1["signed"].clone()).expect("root");
    let evil = hikae_channel::publish::rotated(
        &root1,
        "targets",
        &[attacker],
        1,
        Utc::now() + Duration::days(30),
    )
    .expect("rotated");
    let evil_file =
        hikae_channel::publish::sign_root(&evil, &vec![desk.secret("root-1.key")]).expect("sign");
    std::fs::write(desk.channel.join("2.root.json"), &evil_file).expect("evil root");
    // the PCs look for new roots when the timestamp names one, or once a day: here a new
    // timestamp names root 2
    let mut signed: hikae_channel::Timestamp = serde_json::from_value(
        serde_json::from_slice::<serde_json::Value>(&release3[0]).expect("ts")["signed"].clone(),
    )
    .expect("signed");
    signed.version += 2;
    signed.root_version = 2;
    let ts2 = hikae_channel::sign(
        "timestamp",
        signed.version,
        &signed,
        &[desk.secret("timestamp-1.key")],
    )
    .expect("sign");
    std::fs::write(desk.channel.join("timestamp.json"), &ts2).expect("ts");
    refused("one of two root keys", "1 valid signature(s) of the 2");
    std::fs::remove_file(desk.channel.join("2.root.json")).expect("rm");
    desk.put_meta(&release3);

    // 6. a file the targets do not list is never fetched: planted beside the release
    std::fs::write(desk.channel.join("targets/packs/evil.hikaepack"), b"x").expect("plant");

    // mended: both PCs take release 3 and agree
    for pc in &pcs {
        let c = pc
            .app()
            .channel_check()
            .expect("check")
            .expect("configured");
        assert_eq!(c.release, 3, "{c:?}");
        assert!(c.refused.is_empty(), "{c:?}");
    }
    assert_eq!(pcs[0].state(), pcs[1].state());
    assert_eq!(pcs[0].state().0, ["ward-east 0.4.0"]);
    assert!(!pcs[0].state().3.contains_key("packs/evil.hikaepack"));
    // every refusal was audited
    let app = pcs[0].app();
    let refusals = app
        .audit_entries(&hikae_app::AuditQuery::default())
        .expect("audit")
        .into_iter()
        .filter(|e| {
            e.event
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("refused") && d.contains("channel"))
        })
        .count();
    assert!(refusals >= 5, "{refusals}");
}

/// A key the channel no longer lists is revoked: a pack signed by it is refused from then on,
/// and a key rotation of the timestamp role reaches the PC through the channel.
#[test]
fn keys_rotate_through_the_channel() {
    let desk = Desk::new();
    let (k, p) = (desk.trusted_keys(), desk.pack("0.2.0", "v2"));
    desk.publish(&[
        "--trusted-keys",
        &k.display().to_string(),
        "--pack",
        &p.display().to_string(),
    ]);
    let pc = Pc::new(&desk, &format!("folder = \"{}\"", desk.channel.display()));
    pc.app()
        .channel_check()
        .expect("check")
        .expect("configured");
    assert_eq!(pc.state().0, ["ward-east 0.2.0"]);

    // the timestamp key is replaced: a new root, signed by both root keys
    let o = cli(
        &desk.work,
        &[
            "fleet",
            "rotate-key",
            &desk.channel.display().to_string(),
            "--keys",
            &desk.keys.display().to_string(),
            "--role",
            "timestamp",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(desk.channel.join("2.root.json").exists());
    let c = pc
        .app()
        .channel_check()
        .expect("check")
        .expect("configured");
    assert_eq!(c.root_version, 2, "{c:?}");

    // the pack key is dropped from the channel's list: revoked here
    let only_rosters = desk.file(
        "trusted-keys",
        format!("rosters {}\n", line(&desk.roster_key.0)).as_bytes(),
    );
    let p3 = desk.pack("0.3.0", "v3");
    desk.publish(&[
        "--trusted-keys",
        &only_rosters.display().to_string(),
        "--pack",
        &p3.display().to_string(),
    ]);
    let c = pc
        .app()
        .channel_check()
        .expect("check")
        .expect("configured");
    assert!(c.installed.iter().any(|i| i.contains("1 revoked")), "{c:?}");
    assert_eq!(
        c.refused.len(),
        1,
        "the pack signed by the revoked key: {c:?}"
    );
    // and what that key signed before is no longer used here
    let app = pc.app();
    assert!(
        !app.templates()
            .iter()
            .any(|t| t.template().form.id == "ward-note"),
        "a pack signed by a revoked key is not offered"
    );
    assert!(
        app.warnings.iter().any(|w| w.contains("ward-east")),
        "{:?}",
        app.warnings
    );
}

#[test]
fn publishing_bad_input_says_what_and_where_and_signs_nothing() {
    let desk = Desk::new();
    let run = |args: &[&str]| {
        let (c, k) = (
            desk.channel.display().to_string(),
            desk.keys.display().to_string(),
        );
        let mut a = vec!["fleet", "publish", c.as_str(), "--keys", k.as_str()];
        a.extend_from_slice(args);
        cli(&desk.work, &a)
    };
    let unsigned = desk.file(
        "loose.hikaepack",
        &archive::build(&pack("0.2.0", "x")).expect("b"),
    );
    let not_pack = desk.file("junk.hikaepack", b"not a pack");
    std::fs::write(desk.work.join("junk.hikaepack.minisig"), "x").expect("sig");
    let bad_keys = desk.file("keys.txt", b"packs not-a-key\n");
    let bad_frag = desk.file("frag.toml", b"[packs]\ntrusted_keys = [\"RWQevil\"]\n");
    for (args, needle) in [
        (vec!["--pack", unsigned.to_str().expect("p")], "no "),
        (
            vec!["--pack", not_pack.to_str().expect("p")],
            "not a pack archive",
        ),
        (
            vec!["--trusted-keys", bad_keys.to_str().expect("p")],
            "keys.txt:1",
        ),
        (
            vec!["--config", bad_frag.to_str().expect("p")],
            "not [packs]",
        ),
        (vec!["--remove", "packs/none"], "no such file"),
    ] {
        let o = run(&args);
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(
            !desk.channel.join("timestamp.json").exists(),
            "nothing signed"
        );
    }
    // a tampered channel folder is not signed over
    desk.publish(&[]);
    let mut t = std::fs::read(desk.channel.join("targets.json")).expect("t");
    let n = t.len() - 5;
    t[n] ^= 1;
    std::fs::write(desk.channel.join("targets.json"), &t).expect("w");
    let o = run(&[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("does not verify"), "{}", stderr(&o));
}
