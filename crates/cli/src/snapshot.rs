//! `hikae snapshot …`: the ward snapshot (refresh from the FHIR server, census, one patient).

use clap::Subcommand;

use hikae_app::Hikae;

use crate::util::outln;

#[derive(Subcommand)]
pub enum SnapshotCmd {
    /// Refresh the copy of the [snapshot] wards from the [sync] FHIR server now
    Refresh {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// The census: every patient in the copy, by ward and bed, with its age
    Census {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// One patient's summary from the copy: allergies, medications, problems, vitals,
    /// downtime records (PATIENT: the server's Patient id, or the hospital patient ID)
    Show {
        patient: String,
        /// As JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &mut Hikae, cmd: SnapshotCmd) -> anyhow::Result<()> {
    match cmd {
        SnapshotCmd::Refresh { json } => {
            let r = app.refresh_snapshot()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                outln!(
                    "{} ({}): {} patients, {} admitted, {} discharged; {} resources, {} removed; {} requests, {} bytes, {} ms",
                    r.wards.join(", "),
                    if r.full { "full" } else { "incremental" },
                    r.patients,
                    r.admitted,
                    r.discharged,
                    r.resources,
                    r.removed,
                    r.requests,
                    r.bytes,
                    r.millis
                )?;
            }
            Ok(())
        }
        SnapshotCmd::Census { json } => {
            let c = app.census()?;
            if json {
                return outln!("{}", serde_json::to_string_pretty(&c)?);
            }
            if c.wards.is_empty() {
                return outln!("the copy is empty: no refresh has succeeded within the retention ([snapshot] in config.toml)");
            }
            let today = hikae_app::snapshot::today_jst();
            for w in &c.wards {
                outln!(
                    "{} {} — {}, {} patients",
                    w.ward,
                    w.name.as_deref().unwrap_or(""),
                    hikae_app::snapshot::as_of_label(w.as_of),
                    w.patients
                )?;
                for r in c.rows.iter().filter(|r| r.ward == w.ward) {
                    let age = r
                        .age_on(today)
                        .map(|a| format!("{a}歳"))
                        .unwrap_or_default();
                    let sex = match r.gender.as_deref() {
                        Some("male") => "男",
                        Some("female") => "女",
                        _ => "",
                    };
                    outln!(
                        "  {:<8} {:<12} {:<14} {:>5}{:<2} {}  {}",
                        r.bed.as_deref().unwrap_or("-"),
                        r.name,
                        r.patient_id.as_deref().unwrap_or(&r.patient),
                        age,
                        sex,
                        if r.allergies > 0 {
                            format!("アレルギー{}", r.allergies)
                        } else {
                            "-".into()
                        },
                        r.patient
                    )?;
                }
            }
            Ok(())
        }
        SnapshotCmd::Show { patient, json } => {
            let id = resolve(app, &patient)?;
            let s = app.patient_summary(&id)?;
            if json {
                return outln!("{}", serde_json::to_string_pretty(&s)?);
            }
            let r = &s.row;
            outln!(
                "{} {} ({}) {} {}",
                r.bed.as_deref().unwrap_or("-"),
                r.name,
                r.kana.as_deref().unwrap_or(""),
                r.patient_id.as_deref().unwrap_or(&r.patient),
                r.birth_date.map(|d| d.to_string()).unwrap_or_default()
            )?;
            if let Some(d) = &r.department {
                outln!("診療科: {d}")?;
            }
            if let Some(x) = &r.complaint {
                outln!("主訴: {}", x.replace('\n', " / "))?;
            }
            if let Some(x) = &r.reason {
                outln!("入院理由: {}", x.replace('\n', " / "))?;
            }
            outln!("アレルギー:")?;
            if s.allergies.is_empty() {
                outln!("  （記録なし。なしを意味しません）")?;
            }
            for a in &s.allergies {
                outln!(
                    "  {}{}{}",
                    a.text,
                    a.criticality
                        .as_deref()
                        .map(|c| format!(" [{c}]"))
                        .unwrap_or_default(),
                    a.reaction
                        .as_deref()
                        .map(|x| format!(" {x}"))
                        .unwrap_or_default()
                )?;
            }
            outln!("内服・注射:")?;
            for m in &s.medications {
                outln!("  {} {}", m.text, m.dosage.as_deref().unwrap_or(""))?;
            }
            outln!("問題・病名:")?;
            for p in &s.problems {
                outln!("  {} {}", p.text, p.code.as_deref().unwrap_or(""))?;
            }
            outln!("バイタル（最新）:")?;
            for v in &s.vitals {
                outln!(
                    "  {} {}{} {}",
                    v.label,
                    v.value,
                    v.unit.as_deref().unwrap_or(""),
                    v.at.as_deref().unwrap_or("")
                )?;
            }
            outln!("ダウンタイム記録:")?;
            for d in &s.documents {
                outln!(
                    "  {} {} {}",
                    d.date.as_deref().unwrap_or(""),
                    d.title,
                    d.author.as_deref().unwrap_or("")
                )?;
            }
            Ok(())
        }
    }
}

/// PATIENT is a hospital patient ID, or else a server Patient id (without a second audited
/// view); a hospital ID wins when both exist.
fn resolve(app: &mut Hikae, patient: &str) -> anyhow::Result<String> {
    if let Some(p) = app.snapshot_patient_by_id(patient)? {
        return Ok(p);
    }
    let _ = app.snapshot_has_patient(patient)?;
    Ok(patient.to_string())
}
