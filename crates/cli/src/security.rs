//! `hikae setup`, `emergency-code`, `enrol`, `roster …`: encryption, PINs and the staff roster.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use hikae_app::{Error, Hikae};

use crate::secret;
use crate::util::{outln, write_file};

#[derive(Args)]
pub struct SetupArgs {
    #[arg(long)]
    admin_id: String,
}

#[derive(Args)]
pub struct EmergencyCodeArgs {
    #[arg(long)]
    disable: bool,
}

#[derive(Args)]
pub struct EnrolArgs {
    staff_id: String,
}

#[derive(Subcommand)]
pub enum LockoutCmd {
    /// Failed logins per staff ID and this PC's budget
    List,
    /// Lift the lockout of one staff ID, or with --all of every ID and this PC
    Reset {
        staff_id: Option<String>,
        #[arg(long, conflicts_with = "staff_id")]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum PolicyCmd {
    /// Require passphrases of 12+ characters for every new PIN and emergency code (on), or not
    Passphrases {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

pub fn policy(app: &mut Hikae, cmd: PolicyCmd) -> anyhow::Result<()> {
    match cmd {
        PolicyCmd::Passphrases { state } => {
            app.set_passphrase_policy(state == "on")?;
            outln!("passphrase policy {state}")?;
        }
    }
    Ok(())
}

pub fn lockout(app: &mut Hikae, cmd: LockoutCmd) -> anyhow::Result<()> {
    match cmd {
        LockoutCmd::List => {
            let (ids, pc) = app.lockouts()?;
            let show = |r: &hikae_app::auth::LoginFailures| {
                format!(
                    "{} failure(s){}{}",
                    r.failures,
                    r.last_failure
                        .map(|t| format!(", last {}", hikae_app::record::jst(t)))
                        .unwrap_or_default(),
                    r.locked_until
                        .filter(|u| *u > chrono::Utc::now())
                        .map(|u| format!(", locked until {}", hikae_app::record::jst(u)))
                        .unwrap_or_default()
                )
            };
            outln!("this PC: {}", show(&pc))?;
            for (id, r) in ids {
                outln!("{id}: {}", show(&r))?;
            }
            Ok(())
        }
        LockoutCmd::Reset { staff_id, all } => {
            if staff_id.is_none() && !all {
                return Err(Error::Input("give a staff ID, or --all".into()).into());
            }
            let n = app.reset_lockout(staff_id.as_deref())?;
            outln!("reset ({n} lockout record(s) cleared; audited)")
        }
    }
}

#[derive(Subcommand)]
pub enum RosterCmd {
    /// Sign roster.toml with a minisign secret key (writes FILE.minisig)
    Sign {
        file: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Install a signed roster on this PC (administrators; only newer versions)
    Install {
        file: PathBuf,
        /// Signature file (default: FILE.minisig)
        #[arg(long)]
        sig: Option<PathBuf>,
    },
    /// Show the installed roster
    Show,
    /// Trust a signing public key (minisign .pub file) for staff rosters on this PC (a key
    /// trusted for packs is refused: rosters and packs have separate keys)
    Trust { pubkey: PathBuf },
    /// Fetch the roster from the URL in config.toml ([roster] url) and install it if newer
    Refresh,
}

/// Encrypts the data in `dir` (before it is opened) and shows the recovery key once.
pub fn setup(dir: &Path, a: &SetupArgs) -> anyhow::Result<()> {
    let admin_id = &a.admin_id;
    let pin = secret(
        "HIKAE_PIN",
        &format!("PIN or passphrase for {admin_id}: "),
        true,
    )?;
    let code = secret(
        "HIKAE_EMERGENCY_CODE",
        "the ward's emergency (break-glass) code: ",
        true,
    )?;
    let setup = Hikae::setup_encryption(dir, admin_id, &pin, &code)?;
    outln!("The data in {} is now encrypted.", dir.display())?;
    outln!(
        "\nRECOVERY KEY (shown once; print it and keep it in the safe):\n\n    {}\n",
        setup.recovery_key
    )
}

pub fn emergency_code(app: &mut Hikae, a: &EmergencyCodeArgs) -> anyhow::Result<()> {
    if a.disable {
        app.set_emergency_code(None)?;
        outln!("break-glass access is now disabled on this PC")
    } else {
        let code = secret("HIKAE_NEW_EMERGENCY_CODE", "new emergency code: ", true)?;
        app.set_emergency_code(Some(&code))?;
        outln!("emergency code changed; seal the new one at the station")
    }
}

pub fn enrol(app: &mut Hikae, a: &EnrolArgs) -> anyhow::Result<()> {
    let staff_id = &a.staff_id;
    let pin = secret(
        "HIKAE_NEW_PIN",
        &format!("new PIN or passphrase for {staff_id}: "),
        true,
    )?;
    app.enrol(staff_id, &pin)?;
    outln!("{staff_id} can now unlock this PC with their PIN")
}

pub fn unenrol(app: &mut Hikae, a: &EnrolArgs) -> anyhow::Result<()> {
    app.unenrol(&a.staff_id)?;
    outln!(
        "{} can no longer unlock this PC; the data was re-encrypted under a new key (older keyring copies open nothing)",
        a.staff_id.trim()
    )
}

/// `roster sign` works on the administrators' PC, without this PC's data.
pub fn sign_roster(file: &Path, key: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let roster = hikae_app::authoring::Roster::parse(&text)?;
    let sk = std::fs::read_to_string(key).map_err(|e| Error::io(key, e))?;
    let sig = hikae_app::authoring::sign::sign_roster(
        text.as_bytes(),
        &sk,
        std::env::var("HIKAE_SIGNING_PASSWORD").ok(),
        &roster.hospital,
        &roster.version.to_string(),
    )?;
    let out = PathBuf::from(format!("{}.minisig", file.display()));
    write_file(&out, sig.as_bytes())?;
    eprintln!(
        "signed {} version {} → {}",
        roster.hospital,
        roster.version,
        out.display()
    );
    Ok(())
}

pub fn roster(app: &mut Hikae, cmd: RosterCmd) -> anyhow::Result<()> {
    match cmd {
        RosterCmd::Sign { file, key } => sign_roster(&file, &key),
        RosterCmd::Install { file, sig } => {
            let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
            let sig_path =
                sig.unwrap_or_else(|| PathBuf::from(format!("{}.minisig", file.display())));
            let sig = std::fs::read_to_string(&sig_path).ok();
            let r = app.install_roster(&text, sig.as_deref())?;
            outln!(
                "installed roster {} version {} ({} staff)",
                r.hospital,
                r.version,
                r.staff.len()
            )
        }
        RosterCmd::Trust { pubkey } => {
            let text = std::fs::read_to_string(&pubkey).map_err(|e| Error::io(&pubkey, e))?;
            let line = app.trust_key(&text, hikae_app::KeyRole::Rosters)?;
            outln!("trusted for rosters: {line}")
        }
        RosterCmd::Refresh => match app.refresh_roster()? {
            Some(r) => outln!("installed roster {} version {}", r.hospital, r.version),
            None => outln!("nothing newer (or no [roster] url in config.toml)"),
        },
        RosterCmd::Show => match app.roster()? {
            None => outln!("(no roster installed)"),
            Some(r) => {
                outln!("{} version {} (issued {})", r.hospital, r.version, r.issued)?;
                for s in r.staff {
                    outln!(
                        "  {:<8} {:<10} {:<16} {}  {}",
                        s.id,
                        s.role.as_str(),
                        s.name,
                        s.kana,
                        s.ward
                    )?;
                }
                Ok(())
            }
        },
    }
}
