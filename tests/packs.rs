//! Template packs: what a ward PC accepts and refuses, and what administrators do.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use hikae_app::Hikae;
use hikae_packs::archive::{self, Files};
use hikae_packs::sign;
use serde_json::json;

fn manifest(version: &str, state: &str, min_app: &str) -> String {
    format!(
        "id = \"ward-east\"\nname = {{ ja = \"東病棟\" }}\nversion = \"{version}\"\nstate = \"{state}\"\nmin_app_version = \"{min_app}\"\n\
         [[template]]\nid = \"ward-note\"\napproved_uses = [\"病棟メモ\"]\ndata_categories = [\"看護情報\"]\n[[procedure]]\nid = \"call-it\"\n"
    )
}

/// A valid pack; `marker` appears in the printed record so versions can be told apart.
fn pack_files(version: &str, marker: &str) -> Files {
    let mut f = BTreeMap::new();
    let mut put = |p: &str, s: &str| {
        f.insert(p.to_string(), s.as_bytes().to_vec());
    };
    put("pack.toml", &manifest(version, "approved", "0.1.0"));
    put(
        "ward-note/form.toml",
        "id = \"ward-note\"\nversion = \"1.0.0\"\ntitle = { ja = \"病棟メモ\" }\n[[fields]]\nid = \"body\"\nlabel = { ja = \"内容\" }\ntype = \"multiline\"\nrequired = true\n",
    );
    put(
        "ward-note/record.html",
        &format!("<h1>病棟メモ（{marker}）</h1>\n<p>{{{{ d.body }}}}</p>\n"),
    );
    put("ward-note/record.txt", "{{ d.body }}\n");
    put(
        "procedures/contacts.toml",
        "[[contact]]\nid = \"it\"\nlabel = { ja = \"情報システム\" }\nvalue = \"内線 ____\"\n",
    );
    put(
        "procedures/call-it.toml",
        "id = \"call-it\"\ntitle = { ja = \"連絡\" }\nsummary = { ja = \"連絡する\" }\n[[step]]\nrole = \"nurse\"\ntext = { ja = \"連絡する。\" }\ncontact = \"it\"\n",
    );
    f
}

struct Keys {
    public: String,
    secret: String,
}

fn keys() -> Keys {
    let (pk, sk) = sign::keygen(None).expect("keygen");
    Keys {
        public: sign::public_key_line(&pk).expect("pk line"),
        secret: sk,
    }
}

fn signed(files: &Files, k: &Keys) -> (Vec<u8>, String) {
    let bytes = archive::build(files).expect("build");
    let m = hikae_packs::Pack::from_files(files)
        .map(|p| (p.manifest.id.clone(), p.manifest.version.clone()))
        .unwrap_or(("ward-east".into(), "0.2.0".into()));
    let sig = sign::sign(&bytes, &k.secret, None, &m.0, &m.1).expect("sign");
    (bytes, sig)
}

fn app_trusting(dir: &Path, k: &Keys) -> Hikae {
    let mut app = Hikae::open_demo(dir).expect("open");
    app.trust_key(&k.public, hikae_app::KeyRole::Packs)
        .expect("trust");
    app
}

/// Every file under the packs folder with its content, to prove nothing changed.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).expect("prefix").display().to_string(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &dir.join("packs"), &mut out);
    out
}

/// A tar.gz with raw entries (names and types a normal builder refuses to write).
fn raw_archive(entries: &[(&[u8], tar::EntryType, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, kind, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().expect("gnu").name[..name.len()].copy_from_slice(name);
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if *kind == tar::EntryType::Symlink {
            h.set_link_name("/etc/passwd").expect("link");
            h.set_size(0);
        }
        h.set_cksum();
        b.append(
            &h,
            if *kind == tar::EntryType::Symlink {
                &b""[..]
            } else {
                *data
            },
        )
        .expect("append");
    }
    b.into_inner().expect("tar").finish().expect("gz")
}

fn with_entries(base: &Files, extra: &[(&[u8], tar::EntryType, &[u8])]) -> Vec<u8> {
    let mut all: Vec<(&[u8], tar::EntryType, &[u8])> = base
        .iter()
        .map(|(n, c)| (n.as_bytes(), tar::EntryType::Regular, c.as_slice()))
        .collect();
    all.extend_from_slice(extra);
    raw_archive(&all)
}

#[test]
fn malformed_packs_are_refused_with_the_reason_and_the_installed_pack_is_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = keys();
    let mut app = app_trusting(dir.path(), &k);
    let (v1, v1sig) = signed(&pack_files("0.1.0", "v1"), &k);
    app.install_pack(&v1, Some(&v1sig), "管理者")
        .expect("install v1");
    let before = snapshot(dir.path());

    let good = pack_files("0.2.0", "v2");
    let edit = |path: &str, content: &str| {
        let mut f = good.clone();
        f.insert(path.to_string(), content.as_bytes().to_vec());
        f
    };
    let other = keys();
    let sign_raw = |bytes: Vec<u8>| {
        let sig = sign::sign(&bytes, &k.secret, None, "ward-east", "0.2.0").expect("sign");
        (bytes, Some(sig))
    };
    let big = vec![b'a'; (archive::MAX_FILE_BYTES + 1) as usize];
    let chunk = vec![0u8; archive::MAX_FILE_BYTES as usize];
    let bomb: Vec<(String, Vec<u8>)> = (0..9)
        .map(|i| (format!("assets/zero{i}.bin"), chunk.clone()))
        .collect();
    let bomb_entries: Vec<(&[u8], tar::EntryType, &[u8])> = bomb
        .iter()
        .map(|(n, c)| (n.as_bytes(), tar::EntryType::Regular, c.as_slice()))
        .collect();

    // (case, (archive bytes, signature), what the refusal says)
    type Case<'a> = (&'a str, (Vec<u8>, Option<String>), &'a str);
    let cases: Vec<Case> = vec![
        (
            "missing signature",
            (signed(&good, &k).0, None),
            "missing signature",
        ),
        (
            "untrusted key",
            {
                let (b, s) = signed(&good, &other);
                (b, Some(s))
            },
            "not trusted",
        ),
        (
            "changed after signing",
            {
                let (_, s) = signed(&good, &k);
                (
                    archive::build(&edit("ward-note/record.txt", "changed")).expect("b"),
                    Some(s),
                )
            },
            "changed after signing",
        ),
        (
            "signature for another pack",
            {
                let b = archive::build(&good).expect("b");
                let s = sign::sign(&b, &k.secret, None, "ward-west", "0.2.0").expect("s");
                (b, Some(s))
            },
            "signed for pack 'ward-west'",
        ),
        (
            "same version",
            {
                let (b, s) = signed(&pack_files("0.1.0", "again"), &k);
                (b, Some(s))
            },
            "not newer than the installed 0.1.0",
        ),
        (
            "older version",
            {
                let (b, s) = signed(&pack_files("0.0.9", "old"), &k);
                (b, Some(s))
            },
            "not newer",
        ),
        (
            "trial outside a drill",
            {
                let (b, s) = signed(&edit("pack.toml", &manifest("0.2.0", "trial", "0.1.0")), &k);
                (b, Some(s))
            },
            "trial packs are accepted only in drill mode",
        ),
        (
            "needs a newer app",
            {
                let (b, s) = signed(
                    &edit("pack.toml", &manifest("0.2.0", "approved", "99.0.0")),
                    &k,
                );
                (b, Some(s))
            },
            "needs Hikae 99.0.0",
        ),
        (
            "absolute path",
            sign_raw(with_entries(
                &good,
                &[(b"/etc/cron.d/x", tar::EntryType::Regular, b"x")],
            )),
            "absolute",
        ),
        (
            "dot-dot path",
            sign_raw(with_entries(
                &good,
                &[(b"ward-note/../../evil", tar::EntryType::Regular, b"x")],
            )),
            "'..'",
        ),
        (
            "symlink",
            sign_raw(with_entries(
                &good,
                &[(b"ward-note/link", tar::EntryType::Symlink, b"")],
            )),
            "links",
        ),
        (
            "duplicate name",
            sign_raw(with_entries(
                &good,
                &[(b"pack.toml", tar::EntryType::Regular, b"id = \"x\"")],
            )),
            "appears twice",
        ),
        (
            "over-large file",
            sign_raw(with_entries(
                &good,
                &[(b"assets/huge.txt", tar::EntryType::Regular, &big)],
            )),
            "a pack file may have at most",
        ),
        (
            "decompression bomb",
            sign_raw(with_entries(&good, &bomb_entries)),
            "when unpacked",
        ),
        (
            "not UTF-8",
            sign_raw(with_entries(
                &good,
                &[(
                    b"ward-note/extra.txt",
                    tar::EntryType::Regular,
                    b"\xff\xfe bad",
                )],
            )),
            "not UTF-8",
        ),
        (
            "not an archive",
            sign_raw(b"this is not a pack".to_vec()),
            "not a Hikae pack archive",
        ),
        (
            "Tera syntax error",
            {
                let (b, s) = signed(
                    &edit("ward-note/record.html", "<h1>x</h1>\n<p>{{ d.body </p>\n"),
                    &k,
                );
                (b, Some(s))
            },
            "ward-note/record.html",
        ),
        (
            "undefined field",
            {
                let (b, s) = signed(
                    &edit(
                        "ward-note/record.html",
                        "<h1>x</h1>\n<p>{{ d.body }}{{ d.bdoy }}</p>\n",
                    ),
                    &k,
                );
                (b, Some(s))
            },
            "ward-note/record.html:2:19: 'd.bdoy'",
        ),
        (
            "include outside the pack",
            {
                let (b, s) = signed(
                    &edit(
                        "ward-note/record.txt",
                        "{% include \"../../etc/passwd\" %}{{ d.body }}",
                    ),
                    &k,
                );
                (b, Some(s))
            },
            "Unknown template `../../etc/passwd`",
        ),
        (
            "bad form definition",
            {
                let (b, s) = signed(&edit("ward-note/form.toml", "id = \"ward-note\"\nversion = \"1.0.0\"\ntitle = { ja = \"x\" }\n[[fields]]\nid = \"body\"\nlabel = { ja = \"内容\" }\ntype = \"essay\"\n"), &k);
                (b, Some(s))
            },
            "ward-note/form.toml:7:8",
        ),
        (
            "unsupported HTML",
            {
                let (b, s) = signed(
                    &edit(
                        "ward-note/record.html",
                        "<h1>x</h1>\n<script>alert(1)</script><p>{{ d.body }}</p>\n",
                    ),
                    &k,
                );
                (b, Some(s))
            },
            "<script> is not supported",
        ),
        (
            "required field never shown",
            {
                let (b, s) = signed(&edit("ward-note/record.html", "<h1>x</h1>\n"), &k);
                (b, Some(s))
            },
            "required field 'body'",
        ),
        (
            "character missing from the font",
            {
                let (b, s) = signed(
                    &edit(
                        "ward-note/record.html",
                        "<h1>x\u{E000}</h1><p>{{ d.body }}</p>",
                    ),
                    &k,
                );
                (b, Some(s))
            },
            "U+E000",
        ),
        (
            "unknown contact",
            {
                let (b, s) = signed(&edit("procedures/call-it.toml", "id = \"call-it\"\ntitle = { ja = \"連絡\" }\nsummary = { ja = \"連絡\" }\n[[step]]\nrole = \"nurse\"\ntext = { ja = \"連絡する。\" }\ncontact = \"nobody\"\n"), &k);
                (b, Some(s))
            },
            "contact 'nobody'",
        ),
    ];
    let mut failures = Vec::new();
    for (name, (bytes, sig), expected) in &cases {
        match app.install_pack(bytes, sig.as_deref(), "管理者") {
            Ok(_) => failures.push(format!("{name}: was installed")),
            Err(e) => {
                let msg = e.to_string();
                if !msg.contains(expected) {
                    failures.push(format!("{name}: expected '{expected}' in:\n{msg}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the installed pack is untouched"
    );
    let reopened = Hikae::open_demo(dir.path()).expect("reopen");
    assert_eq!(
        reopened
            .template("ward-note")
            .expect("template")
            .pack
            .manifest
            .version,
        "0.1.0"
    );
    // the good v2 still installs afterwards
    let (b, s) = signed(&good, &k);
    app.install_pack(&b, Some(&s), "管理者")
        .expect("v2 installs");
}

#[test]
fn a_draft_started_on_v1_still_opens_and_prints_after_v2_is_installed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = keys();
    let mut app = app_trusting(dir.path(), &k);
    let (b1, s1) = signed(&pack_files("0.1.0", "第1版の様式"), &k);
    app.install_pack(&b1, Some(&s1), "管理者").expect("v1");
    let draft = app
        .new_record(
            "ward-note",
            patient("DEMO-5", "架空 五郎"),
            "看護師",
            values(json!({"body": "v1で書き始めた下書き"})),
        )
        .expect("draft");
    assert_eq!(draft.provenance.pack_version, "0.1.0");

    // v2 renames the field: the v1 draft must keep using v1's form and templates
    let mut v2 = pack_files("0.2.0", "第2版の様式");
    v2.insert("ward-note/form.toml".into(), "id = \"ward-note\"\nversion = \"2.0.0\"\ntitle = { ja = \"病棟メモ\" }\n[[fields]]\nid = \"note\"\nlabel = { ja = \"内容\" }\ntype = \"multiline\"\nrequired = true\n".into());
    v2.insert(
        "ward-note/record.html".into(),
        "<h1>病棟メモ（第2版の様式）</h1>\n<p>{{ d.note }}</p>\n".into(),
    );
    v2.insert("ward-note/record.txt".into(), "{{ d.note }}\n".into());
    let (b2, s2) = signed(&v2, &k);
    app.install_pack(&b2, Some(&s2), "管理者").expect("v2");
    drop(app);

    let mut app = Hikae::open_demo(dir.path()).expect("reopen");
    let fresh = app
        .new_record(
            "ward-note",
            patient("DEMO-6", "架空 六子"),
            "看護師",
            values(json!({"note": "v2"})),
        )
        .expect("new on v2");
    assert_eq!(
        (
            fresh.provenance.pack_version.as_str(),
            fresh.provenance.template_version.as_str()
        ),
        ("0.2.0", "2.0.0")
    );
    // the old draft: edit, finalize and print with v1
    app.update(
        &draft.id,
        values(json!({"body": "v1で書き始めた下書き（追記）"})),
    )
    .expect("edit with v1 form");
    app.finalize(&draft.id, "看護師")
        .expect("finalize with v1 rules");
    let pdf = app.pdf(&draft.id).expect("print");
    let path = write_pdf(dir.path(), "v1.pdf", &pdf.bytes);
    let text = poppler("pdftotext", &[path.to_str().expect("p"), "-"]);
    assert!(
        text.contains("第1版の様式") && text.contains("（追記）"),
        "{text}"
    );
    assert!(
        text.contains("ward-east 0.1.0"),
        "the footer names the version used: {text}"
    );
}

#[test]
fn an_installed_pack_changed_on_disk_is_not_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = keys();
    let mut app = app_trusting(dir.path(), &k);
    let (b, s) = signed(&pack_files("0.1.0", "v1"), &k);
    app.install_pack(&b, Some(&s), "管理者").expect("install");
    let rec = app
        .new_record(
            "ward-note",
            patient("DEMO-7", "架空 七子"),
            "看護師",
            values(json!({"body": "x"})),
        )
        .expect("rec");
    drop(app);
    // poison the installed template
    let archive_path = dir.path().join("packs/ward-east/0.1.0/pack.hikaepack");
    let mut files = archive::read(&std::fs::read(&archive_path).expect("read")).expect("unpack");
    files.insert(
        "ward-note/record.html".into(),
        b"<h1>\xe6\x94\xb9\xe3\x81\x96\xe3\x82\x93</h1><p>{{ d.body }}</p>".to_vec(),
    );
    std::fs::write(&archive_path, archive::build(&files).expect("build")).expect("write");

    let app = Hikae::open_demo(dir.path()).expect("the app still opens");
    assert!(
        app.warnings
            .iter()
            .any(|w| w.contains("ward-east 0.1.0 is not used")
                && w.contains("changed after signing")),
        "{:?}",
        app.warnings
    );
    assert!(
        app.template("ward-note").is_err(),
        "templates of the tampered pack are not offered"
    );
    let err = app
        .pdf(&rec.id)
        .expect_err("not printed with a tampered template");
    assert!(err.to_string().contains("changed after signing"), "{err}");
}

#[test]
fn round_trip_from_the_command_line_with_debian_minisign() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let data = d.join("data");
    let run = |args: &[&str]| {
        let out = cli(&data, args);
        assert!(out.status.success(), "hikae {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let src = d.join("ward");
    let p = |x: &str| d.join(x).to_str().expect("utf-8").to_string();
    run(&[
        "pack",
        "new",
        &p("ward"),
        "--id",
        "ward-east",
        "--name",
        "東病棟テンプレート",
    ]);
    assert!(run(&["pack", "check", &p("ward"), "--out", &p("samples")]).contains("no problems"));
    assert!(d.join("samples/example-note.pdf").is_file());
    run(&[
        "pack",
        "preview",
        &p("ward"),
        "--template",
        "example-note",
        "--out",
        &p("preview.pdf"),
    ]);
    assert_eq!(pdf_pages(&d.join("preview.pdf")), 1);
    // a trial pack is refused outside drills: approve it first
    let manifest = std::fs::read_to_string(src.join("pack.toml"))
        .expect("read")
        .replace("state = \"trial\"", "state = \"approved\"");
    std::fs::write(src.join("pack.toml"), &manifest).expect("write");
    run(&[
        "pack",
        "build",
        &p("ward"),
        "--out",
        &p("ward-0.1.0.hikaepack"),
    ]);
    run(&["pack", "keygen", "--out", &p("admin"), "--no-password"]);
    run(&[
        "pack",
        "sign",
        &p("ward-0.1.0.hikaepack"),
        "--key",
        &p("admin.key"),
    ]);
    let minisign = std::process::Command::new("minisign")
        .args([
            "-V",
            "-p",
            &p("admin.pub"),
            "-m",
            &p("ward-0.1.0.hikaepack"),
        ])
        .output()
        .expect("Debian's minisign is required (apt-get install minisign)");
    assert!(
        minisign.status.success(),
        "{}",
        String::from_utf8_lossy(&minisign.stderr)
    );
    assert!(
        String::from_utf8_lossy(&minisign.stdout).contains("hikae-pack id=ward-east version=0.1.0")
    );

    let refused = cli(
        &data,
        &[
            "pack",
            "install",
            &p("ward-0.1.0.hikaepack"),
            "--by",
            "管理者",
        ],
    );
    assert_eq!(refused.status.code(), Some(7), "untrusted key refused");
    run(&["pack", "trust", &p("admin.pub")]);
    run(&["pack", "verify", &p("ward-0.1.0.hikaepack")]);
    run(&[
        "pack",
        "install",
        &p("ward-0.1.0.hikaepack"),
        "--by",
        "管理者",
    ]);

    // upgrade
    std::fs::write(
        src.join("pack.toml"),
        manifest.replace("\nversion = \"0.1.0\"", "\nversion = \"0.2.0\""),
    )
    .expect("write");
    run(&[
        "pack",
        "build",
        &p("ward"),
        "--out",
        &p("ward-0.2.0.hikaepack"),
    ]);
    run(&[
        "pack",
        "sign",
        &p("ward-0.2.0.hikaepack"),
        "--key",
        &p("admin.key"),
    ]);
    run(&[
        "pack",
        "install",
        &p("ward-0.2.0.hikaepack"),
        "--by",
        "管理者",
    ]);
    let list = run(&["pack", "list"]);
    assert!(
        list.contains("installed ward-east 0.1.0\n")
            && list.contains("installed ward-east 0.2.0  (active)"),
        "{list}"
    );

    // rollback needs a reason and is recorded
    assert_eq!(
        cli(&data, &["pack", "rollback", "ward-east", "--by", "管理者"])
            .status
            .code(),
        Some(2)
    );
    run(&[
        "pack",
        "rollback",
        "ward-east",
        "--reason",
        "第2版の表記誤り",
        "--by",
        "管理者",
    ]);
    let list = run(&["pack", "list"]);
    assert!(
        list.contains("installed ward-east 0.1.0  (active)"),
        "{list}"
    );
    assert!(
        list.contains("rollback ward-east 0.2.0 → 0.1.0  by 管理者  (第2版の表記誤り)"),
        "{list}"
    );

    // a version number is never reused: the rolled-back 0.2.0 stays as it was
    let again = cli(
        &data,
        &[
            "pack",
            "install",
            &p("ward-0.2.0.hikaepack"),
            "--by",
            "管理者",
        ],
    );
    assert_eq!(again.status.code(), Some(7));
    assert!(
        stderr(&again).contains("ward-east 0.2.0 is already installed"),
        "{}",
        stderr(&again)
    );

    // check reports every problem with its position, exit 7
    std::fs::write(
        src.join("example-note/record.html"),
        "<h1>x</h1>\n<p>{{ d.bdy }}</p><img>\n",
    )
    .expect("write");
    let out = cli(&data, &["pack", "check", &p("ward")]);
    assert_eq!(out.status.code(), Some(7));
    let err = stderr(&out);
    assert!(
        err.contains("example-note/record.html:2:7: 'd.bdy'"),
        "{err}"
    );
    assert!(err.contains("required field 'body'"), "{err}");
}

/// Security finding 3: editing `packs/<id>/active` back to an older, still validly signed
/// version was a silent rollback. The version this PC made active is kept in the encrypted
/// store; an `active` file that differs is not used. An audited rollback still works.
#[test]
fn an_active_version_edited_back_outside_hikae_is_not_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = keys();
    let mut app = app_trusting(dir.path(), &k);
    let (b1, s1) = signed(&pack_files("0.1.0", "v1"), &k);
    app.install_pack(&b1, Some(&s1), "管理者").expect("v1");
    let (b2, s2) = signed(&pack_files("0.2.0", "v2"), &k);
    app.install_pack(&b2, Some(&s2), "管理者").expect("v2");
    drop(app);
    let active = dir.path().join("packs/ward-east/active");
    std::fs::write(&active, "0.1.0\n").expect("edit");
    let app = Hikae::open_demo(dir.path()).expect("open");
    assert!(
        app.warnings
            .iter()
            .any(|w| w.contains("ward-east") && w.contains("changed outside Hikae")),
        "{:?}",
        app.warnings
    );
    assert!(
        app.template("ward-note").is_err(),
        "the edited pack is not used"
    );
    drop(app);
    // put back as it was, then roll back the audited way: that is used
    std::fs::write(&active, "0.2.0\n").expect("restore");
    let mut app = Hikae::open_demo(dir.path()).expect("open");
    assert!(app.template("ward-note").is_ok(), "{:?}", app.warnings);
    app.rollback_pack("ward-east", Some("0.1.0"), "v2の不具合", "管理者")
        .expect("rollback");
    drop(app);
    let app = Hikae::open_demo(dir.path()).expect("open");
    assert!(app.warnings.is_empty(), "{:?}", app.warnings);
    assert_eq!(
        app.template("ward-note")
            .expect("used")
            .pack
            .manifest
            .version,
        "0.1.0"
    );
}

/// Security finding 10: the preview HTML went to the webview without the parser's tag and
/// attribute whitelist. An install renders samples through the parser, but markup hidden
/// behind a condition the samples never meet gets past that; the preview and the PDF check
/// every rendering themselves.
#[test]
fn markup_hidden_behind_a_condition_neither_previews_nor_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = keys();
    let mut app = app_trusting(dir.path(), &k);
    let mut files = pack_files("0.1.0", "v1");
    files.insert(
        "ward-note/record.html".into(),
        "<h1>病棟メモ</h1>\n{% if v.body == \"合言葉\" %}<p onclick=\"alert(1)\">{{ d.body }}</p>{% else %}<p>{{ d.body }}</p>{% endif %}\n"
            .as_bytes()
            .to_vec(),
    );
    let (b, s) = signed(&files, &k);
    app.install_pack(&b, Some(&s), "管理者")
        .expect("the samples never meet the condition");
    let new = |app: &mut Hikae, body: &str| {
        app.new_record(
            "ward-note",
            patient("DEMO-8", "架空 八郎"),
            "看護師",
            values(json!({ "body": body })),
        )
        .expect("record")
    };
    let fine = new(&mut app, "ふつうのメモ");
    assert!(app.preview_html(&fine.id).is_ok());
    let rec = new(&mut app, "合言葉");
    let e = app.preview_html(&rec.id).expect_err("no preview");
    assert!(e.to_string().contains("onclick"), "{e}");
    assert!(app.pdf(&rec.id).is_err(), "no PDF either");
}

#[test]
fn a_record_made_with_the_previous_built_in_pack_still_opens_prints_and_finalizes() {
    // 0.2.0 added a field to the referral letter; 0.1.0 ships inside Hikae as it was
    let old = hikae_packs::Pack::builtin_earlier("0.1.0")
        .expect("0.1.0 is archived")
        .expect("and loads");
    assert_eq!(old.manifest.version, "0.1.0");
    assert!(hikae_packs::Pack::builtin_earlier("0.0.9").is_none());
    let old_ref = old
        .templates
        .iter()
        .find(|t| t.form.id == "referral-letter")
        .expect("referral in 0.1.0");
    assert!(old_ref.form.field("to_institution_no").is_none());
    let (_dir, mut app) = common::app();
    let cur = app.template("referral-letter").expect("current");
    assert_eq!(cur.pack.manifest.version, "0.2.0");
    assert!(cur.template().form.field("to_institution_no").is_some());
    assert_ne!(cur.template().hash, old_ref.hash, "the template changed");
    let f = common::demo_fixture("referral-letter");
    let mut values = f.values.clone();
    values.remove("to_institution_no");
    let rec = app
        .test_store_mut()
        .create(hikae_store::NewRecord {
            patient: f.patient.clone(),
            provenance: hikae_app::record::Provenance {
                pack_id: "hikae-default".into(),
                pack_version: "0.1.0".into(),
                template_id: "referral-letter".into(),
                template_version: old_ref.form.version.clone(),
                template_hash: old_ref.hash.clone(),
            },
            author: f.author.clone(),
            values,
            context: Default::default(),
        })
        .expect("a record made with 0.1.0");
    let bound = app.template_of(&rec).expect("resolves to 0.1.0");
    assert_eq!(bound.pack.manifest.version, "0.1.0");
    let pdf = app.pdf(&rec.id).expect("prints");
    let dir = tempfile::tempdir().expect("tempdir");
    let text = common::poppler(
        "pdftotext",
        &[
            common::write_pdf(dir.path(), "r.pdf", &pdf.bytes)
                .to_str()
                .expect("utf-8"),
            "-",
        ],
    );
    assert!(text.contains("hikae-default 0.1.0"), "{text}");
    app.finalize(&rec.id, "医師 試験")
        .expect("finalizes with the form it was made with");
}
