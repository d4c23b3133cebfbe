//! `hikae pack …`: the administrators' commands for template packs.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use hikae_app::authoring::{archive, check, install, sign, Pack, PackProblem};
use hikae_app::Error;
use hikae_app::Hikae;

use crate::util::outln;

#[derive(Subcommand)]
pub enum PackCmd {
    /// Create a new pack folder with an example template and procedure
    New {
        dir: PathBuf,
        #[arg(long)]
        id: String,
        /// Japanese name of the pack
        #[arg(long, default_value = "新しいテンプレート集")]
        name: String,
    },
    /// Check a pack folder: everything a ward PC refuses, plus sample PDFs
    Check {
        dir: PathBuf,
        /// Write a sample PDF of every template into this folder
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Render one template of a pack folder to PDF with sample values
    Preview {
        dir: PathBuf,
        #[arg(long)]
        template: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Build the distributable archive (<id>-<version>.hikaepack) after checking
    Build {
        dir: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create a signing key pair: PREFIX.pub (distribute) and PREFIX.key (keep secret)
    Keygen {
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
        /// Store the secret key unencrypted (otherwise HIKAE_SIGNING_PASSWORD is used)
        #[arg(long)]
        no_password: bool,
    },
    /// Sign an archive, writing FILE.minisig (password from HIKAE_SIGNING_PASSWORD)
    Sign {
        file: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Verify an archive as a ward PC would (signature, contents, rules)
    Verify {
        file: PathBuf,
        /// Signature file (default: FILE.minisig)
        #[arg(long)]
        sig: Option<PathBuf>,
        /// Verify with this public key instead of the trusted keys
        #[arg(long)]
        pubkey: Option<PathBuf>,
    },
    /// Install a signed archive on this PC (keeps the previous version)
    Install {
        file: PathBuf,
        #[arg(long)]
        sig: Option<PathBuf>,
        /// Administrator's name, recorded
        #[arg(long, env = "HIKAE_USER")]
        by: String,
    },
    /// List the built-in and installed packs and the install history
    List,
    /// Go back to an older installed version (recorded with reason)
    Rollback {
        pack_id: String,
        /// Version to go back to (default: the next older one)
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        reason: String,
        #[arg(long, env = "HIKAE_USER")]
        by: String,
    },
    /// Trust a signing public key (minisign .pub file) on this PC for template packs (rosters
    /// have their own keys: `hikae roster trust`)
    Trust { pubkey: PathBuf },
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(std::fs::read(path).map_err(|e| Error::io(path, e))?)
}

fn rejected(problems: &[PackProblem]) -> anyhow::Error {
    let s = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ");
    Error::Pack {
        file: problems.first().map(|p| p.file.clone()).unwrap_or_default(),
        message: s,
    }
    .into()
}

fn sig_path(file: &Path, sig: Option<PathBuf>) -> PathBuf {
    sig.unwrap_or_else(|| {
        let mut s = file.as_os_str().to_owned();
        s.push(".minisig");
        PathBuf::from(s)
    })
}

fn password() -> Option<String> {
    std::env::var("HIKAE_SIGNING_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
}

/// Whether the command works on this PC's data (installed packs, trusted keys); the others
/// (authoring, building, signing) run without opening it.
pub fn needs_data(cmd: &PackCmd) -> bool {
    matches!(
        cmd,
        PackCmd::Verify { pubkey: None, .. }
            | PackCmd::Install { .. }
            | PackCmd::List
            | PackCmd::Rollback { .. }
            | PackCmd::Trust { .. }
    )
}

pub fn run(app: Option<&mut Hikae>, cmd: PackCmd) -> anyhow::Result<()> {
    match cmd {
        PackCmd::New { dir, id, name } => new(&dir, &id, &name),
        PackCmd::Check { dir, out } => check_folder(&dir, out.as_deref()),
        PackCmd::Preview { dir, template, out } => preview(&dir, &template, &out),
        PackCmd::Build { dir, out } => build(&dir, out),
        PackCmd::Keygen { out, no_password } => keygen(&out, no_password),
        PackCmd::Sign { file, key } => sign_archive(&file, &key),
        PackCmd::Verify { file, sig, pubkey } => verify(app, &file, sig, pubkey),
        PackCmd::Install { file, sig, by } => {
            let bytes = read(&file)?;
            let sig_text = std::fs::read_to_string(sig_path(&file, sig)).ok();
            let app = data(app)?;
            let (id, version, previous) = app.install_pack(&bytes, sig_text.as_deref(), &by)?;
            outln!(
                "installed {id} {version} (previous: {})",
                previous.as_deref().unwrap_or("none")
            )
        }
        PackCmd::List => list(data(app)?),
        PackCmd::Rollback {
            pack_id,
            to,
            reason,
            by,
        } => {
            let app = data(app)?;
            let (from, to) = app.rollback_pack(&pack_id, to.as_deref(), &reason, &by)?;
            outln!("{pack_id}: {from} → {to} (recorded)")
        }
        PackCmd::Trust { pubkey } => {
            let text = String::from_utf8_lossy(&read(&pubkey)?).into_owned();
            let line = data(app)?.trust_key(&text, hikae_app::KeyRole::Packs)?;
            outln!("trusted for packs: {line}")
        }
    }
}

/// The data folder, for the commands that need it (see [`needs_data`]).
fn data(app: Option<&mut Hikae>) -> anyhow::Result<&mut Hikae> {
    app.ok_or_else(|| anyhow::anyhow!("this command needs the data folder"))
}

fn new(dir: &Path, id: &str, name: &str) -> anyhow::Result<()> {
    if dir.exists() {
        anyhow::bail!("{} already exists", dir.display());
    }
    for (path, content) in scaffold(id, name) {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&p, content).map_err(|e| Error::io(&p, e))?;
    }
    outln!(
        "created {} — edit it, then: hikae pack check {}",
        dir.display(),
        dir.display()
    )
}

fn check_folder(dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let files = archive::read_dir(dir).map_err(|p| rejected(&p))?;
    let report = check::check(&files);
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = out {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        for (t, _, bytes) in &report.previews {
            let p = out.join(format!("{t}.pdf"));
            std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))?;
        }
    }
    if !report.errors.is_empty() {
        return Err(rejected(&report.errors));
    }
    for (t, pages, _) in &report.previews {
        outln!("ok  {t}  (sample: {pages} page(s))")?;
    }
    outln!("{}: no problems", dir.display())
}

fn preview(dir: &Path, template: &str, out: &Path) -> anyhow::Result<()> {
    let files = archive::read_dir(dir).map_err(|p| rejected(&p))?;
    let report = check::check(&files);
    if !report.errors.is_empty() {
        return Err(rejected(&report.errors));
    }
    let (_, pages, bytes) = report
        .previews
        .into_iter()
        .find(|(t, _, _)| *t == template)
        .ok_or_else(|| Error::TemplateNotFound(template.to_string()))?;
    std::fs::write(out, bytes).map_err(|e| Error::io(out, e))?;
    outln!("wrote {} ({pages} page(s))", out.display())
}

fn build(dir: &Path, out: Option<PathBuf>) -> anyhow::Result<()> {
    let files = archive::read_dir(dir).map_err(|p| rejected(&p))?;
    let report = check::check(&files);
    if !report.errors.is_empty() {
        return Err(rejected(&report.errors));
    }
    let pack = Pack::from_files(&files).map_err(|p| rejected(&p))?;
    let out = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}-{}.hikaepack",
            pack.manifest.id, pack.manifest.version
        ))
    });
    let bytes = archive::build(&files).map_err(|e| Error::io(&out, e))?;
    std::fs::write(&out, &bytes).map_err(|e| Error::io(&out, e))?;
    outln!("{}", out.display())?;
    eprintln!(
        "built {} {} ({} files, {} bytes); sign it with `hikae pack sign`",
        pack.manifest.id,
        pack.manifest.version,
        files.len(),
        bytes.len()
    );
    Ok(())
}

fn keygen(out: &Path, no_password: bool) -> anyhow::Result<()> {
    let pw = if no_password {
        None
    } else {
        Some(password().ok_or_else(|| {
            Error::Input(
                "set HIKAE_SIGNING_PASSWORD to protect the secret key, or pass --no-password"
                    .into(),
            )
        })?)
    };
    let (pk, sk) = sign::keygen(pw)?;
    let pub_path = out.with_extension("pub");
    let key_path = out.with_extension("key");
    if pub_path.exists() || key_path.exists() {
        anyhow::bail!(
            "{} or {} already exists",
            pub_path.display(),
            key_path.display()
        );
    }
    std::fs::write(&pub_path, pk).map_err(|e| Error::io(&pub_path, e))?;
    write_secret(&key_path, sk.as_bytes())?;
    outln!(
        "public key: {}\nsecret key: {} (keep it off ward PCs and out of version control)",
        pub_path.display(),
        key_path.display()
    )
}

fn sign_archive(file: &Path, key: &Path) -> anyhow::Result<()> {
    let bytes = read(file)?;
    let files = archive::read(&bytes).map_err(|p| rejected(&p))?;
    let pack = Pack::from_files(&files).map_err(|p| rejected(&p))?;
    let sk = String::from_utf8(read(key)?)
        .map_err(|_| Error::Input(format!("{}: not a minisign secret key", key.display())))?;
    let sig = sign::sign(
        &bytes,
        &sk,
        password(),
        &pack.manifest.id,
        &pack.manifest.version,
    )?;
    let out = sig_path(file, None);
    std::fs::write(&out, sig).map_err(|e| Error::io(&out, e))?;
    outln!("{}", out.display())
}

fn verify(
    app: Option<&mut Hikae>,
    file: &Path,
    sig: Option<PathBuf>,
    pubkey: Option<PathBuf>,
) -> anyhow::Result<()> {
    let bytes = read(file)?;
    let sig_text = std::fs::read_to_string(sig_path(file, sig)).ok();
    let mut rules = match &pubkey {
        None => data(app)?.pack_rules().clone(),
        Some(_) => hikae_app::authoring::install::Rules::default(),
    };
    if let Some(pk) = pubkey {
        let text = String::from_utf8_lossy(&read(&pk)?).into_owned();
        rules.trusted_keys = sign::public_key_line(&text).into_iter().collect();
    }
    let (pack, files) =
        install::validate(&bytes, sig_text.as_deref(), &rules).map_err(|p| rejected(&p))?;
    let m = &pack.manifest;
    outln!(
        "ok: {} {} ({:?}), {} templates, {} procedures, {} files",
        m.id,
        m.version,
        m.state,
        pack.templates.len(),
        pack.procedures.len(),
        files.len()
    )
}

fn list(app: &mut Hikae) -> anyhow::Result<()> {
    let b = &app.builtin_pack().manifest;
    outln!("built-in  {} {}  {}", b.id, b.version, b.name.ja)?;
    for v in app.installed_packs() {
        outln!(
            "installed {} {}{}",
            v.id,
            v.version,
            if v.active { "  (active)" } else { "" }
        )?;
    }
    for w in &app.warnings {
        eprintln!("warning: {w}");
    }
    let events = app.pack_events()?;
    if !events.is_empty() {
        outln!("\nhistory:")?;
        for e in events {
            outln!(
                "  {}  {:<8} {} {} → {}  by {}{}",
                hikae_app::record::jst(e.at),
                e.action,
                e.pack_id,
                e.from_version.as_deref().unwrap_or("-"),
                e.to_version,
                e.by,
                e.reason.map(|r| format!("  ({r})")).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// The files of a new pack: a manifest, one example record template, a procedure, contacts.
pub fn scaffold(id: &str, name: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "pack.toml",
            format!(
                "# Hikae template pack. Format: docs/PACK_FORMAT.md\nid = \"{id}\"\nname = {{ ja = \"{name}\", en = \"\" }}\nversion = \"0.1.0\"\n# trial packs install only in drill mode; set \"approved\" when reviewed\nstate = \"trial\"\nmin_app_version = \"{app}\"\n\n[[template]]\nid = \"example-note\"\napproved_uses = [\"病棟の連絡メモの作成\"]\ndata_categories = [\"看護情報（要配慮個人情報）\"]\n\n[[procedure]]\nid = \"example-procedure\"\n",
                app = env!("CARGO_PKG_VERSION")
            ),
        ),
        (
            "example-note/form.toml",
            "id = \"example-note\"\nversion = \"1.0.0\"\ntitle = { ja = \"連絡メモ\", en = \"Note\" }\n\n[[fields]]\nid = \"written_at\"\nlabel = { ja = \"記載日時\", en = \"Written at\" }\ntype = \"datetime\"\nrequired = true\n\n[[fields]]\nid = \"body\"\nlabel = { ja = \"内容\", en = \"Note\" }\ntype = \"multiline\"\nrequired = true\nhelp = { ja = \"伝えたいことを簡潔に。\", en = \"Keep it short.\" }\n".into(),
        ),
        ("example-note/record.html", "<h1>連絡メモ</h1>\n<dl><dt>記載日時</dt><dd>{{ d.written_at }}</dd></dl>\n<p>{{ d.body }}</p>\n".into()),
        ("example-note/record.txt", "【連絡メモ】{{ d.written_at }}\n{{ d.body }}\n".into()),
        (
            "procedures/contacts.toml",
            "[[contact]]\nid = \"it_helpdesk\"\nlabel = { ja = \"情報システム部門\", en = \"IT department\" }\nvalue = \"内線 ____（夜間・休日：____）\"\n".into(),
        ),
        (
            "procedures/example-procedure.toml",
            "id = \"example-procedure\"\ntitle = { ja = \"手順の例\", en = \"Example procedure\" }\nsummary = { ja = \"どんなときに使う手順かを1〜2文で。\", en = \"When to use it.\" }\nbasis = []\n\n[[step]]\nrole = \"nurse\"\ntext = { ja = \"情報システム部門に連絡する。\", en = \"Call IT.\" }\ncontact = \"it_helpdesk\"\n".into(),
        ),
    ]
}
