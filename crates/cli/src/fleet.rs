//! `hikae fleet`: this PC's readiness heartbeat, and the administrator's report over every PC.

use std::path::PathBuf;

use clap::Subcommand;
use hikae_app::channel::publish;

use crate::util::outln;
use hikae_app::Hikae;

#[derive(Subcommand)]
pub enum FleetCmd {
    /// Send this PC's readiness (versions, unsent records, last drill and self-test, disk,
    /// clock) to the [sync] FHIR server as its Device: one request
    Heartbeat {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// What this PC would report, without sending it
    Readiness,
    /// Every PC's last report from the [sync] FHIR server, what needs attention first
    /// (administrators)
    Status {
        /// As JSON
        #[arg(long)]
        json: bool,
        /// Flag unsent records older than this
        #[arg(long, default_value_t = 4)]
        unsent_hours: i64,
        /// Flag PCs not heard from for this long
        #[arg(long, default_value_t = 24)]
        not_seen_hours: i64,
        /// Flag PCs without a drill for this long
        #[arg(long, default_value_t = 90)]
        drill_days: i64,
        /// Also write the report as an A4 PDF
        #[arg(long, value_name = "OUT.pdf")]
        pdf: Option<std::path::PathBuf>,
    },
    /// Make a signed channel (administrators' PC): a key for each role in KEYS (all
    /// --root-keys needed to change keys) and the first root, DIR/root.json, to pin on each PC
    ChannelInit {
        /// The channel folder (served over HTTPS, or copied into each PC's drop folder)
        dir: PathBuf,
        /// A new, private folder for the channel's secret keys (keep it off the web server)
        #[arg(long)]
        keys: PathBuf,
        #[arg(long, default_value_t = 2)]
        root_keys: usize,
    },
    /// Publish the next release to the channel DIR: signed packs, a roster, trusted keys, a
    /// shared config fragment (with nothing new: re-sign the timestamp, before it expires)
    Publish {
        dir: PathBuf,
        #[arg(long)]
        keys: PathBuf,
        /// A signed pack archive (FILE.minisig beside it); may be repeated
        #[arg(long = "pack", value_name = "FILE.hikaepack")]
        packs: Vec<PathBuf>,
        /// A signed roster (FILE.minisig beside it)
        #[arg(long, value_name = "roster.toml")]
        roster: Option<PathBuf>,
        /// `packs KEY` / `rosters KEY` lines: every signing key PCs trust from the channel
        #[arg(long, value_name = "FILE")]
        trusted_keys: Option<PathBuf>,
        /// A config fragment: [monitor], [sync], [snapshot], [fleet], [roster]
        #[arg(long, value_name = "FILE.toml")]
        config: Option<PathBuf>,
        /// Drop a file from the release (its channel path)
        #[arg(long, value_name = "PATH")]
        remove: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Replace a role's key (after a loss or a compromise): the next root, signed by the old
    /// and the new root keys; the release re-signed; old keys kept in KEYS/retired
    RotateKey {
        dir: PathBuf,
        #[arg(long)]
        keys: PathBuf,
        /// root, timestamp, snapshot or targets
        #[arg(long)]
        role: String,
    },
    /// Pin the channel's first root on this PC (administrators): DIR/root.json from the
    /// administrator, brought out of band
    ChannelTrust { root: PathBuf },
    /// Check the [channel] now and install what a verified release lists
    Update {
        #[arg(long)]
        json: bool,
    },
    /// What this PC knows of the channel: root, release, last check, installed files
    Channel {
        #[arg(long)]
        json: bool,
    },
}

/// The commands that need no data folder (the administrator's own machine).
pub fn needs_data(cmd: &FleetCmd) -> bool {
    !matches!(
        cmd,
        FleetCmd::ChannelInit { .. } | FleetCmd::Publish { .. } | FleetCmd::RotateKey { .. }
    )
}

fn print_published(p: &publish::Published, json: bool) -> anyhow::Result<()> {
    if json {
        return outln!("{}", serde_json::to_string_pretty(p)?);
    }
    outln!(
        "release {} (timestamp {}, root {}): {} file(s); wrote {}",
        p.release,
        p.timestamp_version,
        p.root_version,
        p.targets.len(),
        p.written.join(", ")
    )?;
    for t in &p.targets {
        outln!("  {t}")?;
    }
    Ok(())
}

/// The administrator's channel commands, without a data folder.
pub fn run_authoring(cmd: FleetCmd) -> anyhow::Result<()> {
    match cmd {
        FleetCmd::ChannelInit {
            dir,
            keys,
            root_keys,
        } => {
            let p = publish::init(&dir, &keys, root_keys)?;
            outln!(
                "channel made in {} (root version {}, {root_keys} root key(s), all needed to change keys); secret keys in {} — keep them off the web server. Pin {} on each PC with `hikae fleet channel-trust`",
                dir.display(),
                p.root_version,
                keys.display(),
                dir.join("root.json").display()
            )
        }
        FleetCmd::Publish {
            dir,
            keys,
            packs,
            roster,
            trusted_keys,
            config,
            remove,
            json,
        } => {
            let req = publish::Request {
                packs,
                roster,
                trusted_keys,
                config,
                remove,
            };
            print_published(&publish::publish(&dir, &keys, &req)?, json)
        }
        FleetCmd::RotateKey { dir, keys, role } => {
            print_published(&publish::rotate_key(&dir, &keys, &role)?, false)
        }
        _ => Ok(()),
    }
}

pub fn run(app: &mut Hikae, cmd: FleetCmd) -> anyhow::Result<()> {
    match cmd {
        FleetCmd::Heartbeat { json } => {
            let h = app.heartbeat()?;
            if json {
                return outln!("{}", serde_json::to_string_pretty(&h)?);
            }
            outln!(
                "Device {} sent to {}: {} request, {} bytes sent, {} received{}",
                h.device_id,
                h.endpoint,
                h.requests,
                h.bytes_sent,
                h.bytes_received,
                h.clock_offset_secs
                    .map(|o| format!("; clock offset {o} s"))
                    .unwrap_or_default()
            )
        }
        FleetCmd::ChannelInit { .. } | FleetCmd::Publish { .. } | FleetCmd::RotateKey { .. } => {
            run_authoring(cmd)
        }
        FleetCmd::ChannelTrust { root } => {
            let bytes =
                std::fs::read(&root).map_err(|e| anyhow::anyhow!("{}: {e}", root.display()))?;
            let v = app.channel_trust(&bytes)?;
            outln!("this PC now trusts the channel's root version {v}")
        }
        FleetCmd::Update { json } => {
            let Some(c) = app.channel_check()? else {
                anyhow::bail!("config.toml has no [channel] url or folder");
            };
            if json {
                return outln!("{}", serde_json::to_string_pretty(&c)?);
            }
            outln!(
                "channel {}: release {} (root {}), {}; {} request(s), {} bytes",
                c.source,
                c.release,
                c.root_version,
                if c.unchanged { "unchanged" } else { "checked" },
                c.requests,
                c.bytes
            )?;
            for i in &c.installed {
                outln!("  installed {i}")?;
            }
            for r in &c.refused {
                outln!("  refused {r}")?;
            }
            if !c.refused.is_empty() {
                anyhow::bail!("{} file(s) of the release were refused", c.refused.len());
            }
            Ok(())
        }
        FleetCmd::Channel { json } => {
            let s = app.channel_status()?;
            if json {
                return outln!("{}", serde_json::to_string_pretty(&s)?);
            }
            outln!(
                "source {} | root {} | release {} | last check {} | {}",
                s.source.as_deref().unwrap_or("(none configured)"),
                s.root_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(not pinned)".into()),
                s.release
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "—".into()),
                s.checked_at
                    .map(hikae_app::snapshot::as_of_label)
                    .unwrap_or_else(|| "never".into()),
                s.result.as_deref().unwrap_or("")
            )?;
            for (p, h) in &s.installed {
                outln!("  {p}  {}", &h[..h.len().min(16)])?;
            }
            Ok(())
        }
        FleetCmd::Readiness => {
            let r = app.readiness()?;
            outln!("{}", serde_json::to_string_pretty(&r)?)
        }
        FleetCmd::Status {
            json,
            unsent_hours,
            not_seen_hours,
            drill_days,
            pdf,
        } => {
            let limits = hikae_app::fleet::limits(unsent_hours, not_seen_hours, drill_days)?;
            let r = app.fleet_status(&limits)?;
            if let Some(out) = &pdf {
                let doc = app.export_fleet_pdf(&r, out)?;
                eprintln!("{}: {} pages", out.display(), doc.pages);
            }
            if json {
                return outln!("{}", serde_json::to_string_pretty(&r)?);
            }
            let unready = r.rows.iter().filter(|x| !x.flags.is_empty()).count();
            outln!(
                "{} PCs from {} at {}: {} need attention",
                r.rows.len(),
                r.endpoint,
                hikae_app::snapshot::as_of_label(r.at),
                unready
            )?;
            for row in &r.rows {
                let p = &row.report;
                let packs = p
                    .packs
                    .iter()
                    .map(|(id, v)| format!("{id} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                outln!(
                    "{} {:<24} app {} | {} | roster {} | unsent {}",
                    if row.flags.is_empty() { "✓" } else { "✗" },
                    p.label,
                    p.app_version,
                    packs,
                    p.roster_version
                        .map(|v| format!("v{v}"))
                        .unwrap_or_else(|| "—".into()),
                    p.outbox_depth
                )?;
                for f in &row.flags {
                    outln!("    ! {}", f.text())?;
                }
            }
            for u in &r.unreadable {
                outln!("unreadable: {u}")?;
            }
            Ok(())
        }
    }
}
