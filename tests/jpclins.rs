//! The documents sync sends, checked against the official JP-CLINS 1.5.2 and JP Core 1.1.2
//! profiles (tests/data/jpclins, unchanged) by walking their snapshots
//! (tests/support/profile.rs says what is and is not checked).

mod common;
#[path = "support/fhir.rs"]
mod fhir_server;
#[path = "support/profile.rs"]
mod profile;
#[path = "support/ward.rs"]
mod ward;

use std::path::Path;

use common::*;
use serde_json::Value;
use sha2::Digest;

const DISCHARGE: &str =
    "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eDischargeSummary";
const REFERRAL: &str = "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral";

fn packages() -> profile::Packages {
    profile::Packages::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/jpclins"))
}

fn configure(app: &hikae_app::Hikae, endpoint: &str) {
    std::fs::write(
        app.data_dir().join("config.toml"),
        format!(
            "[sync]\nendpoint = \"{endpoint}\"\npatient_system = \"{}\"\ninstitution_no = \"1318814790\"\ninstitution_name = \"架空総合病院\"\nproduction = false\n[snapshot]\nwards = [\"{}\"]\n",
            ward::PATIENT_SYSTEM,
            ward::WARD
        ),
    )
    .expect("config");
}

fn documents(app: &mut hikae_app::Hikae) -> Vec<Value> {
    app.sync_preview(10)
        .expect("preview")
        .iter()
        .flat_map(|o| o.entries.iter().map(|e| e["resource"].clone()))
        .filter(|r| r["resourceType"] == "Bundle")
        .collect()
}

/// The document Bundle sync would send for `template`, written for a patient of the ward
/// snapshot (started from the census, the rest as the demo fixture has it).
fn bundle_of(template: &str) -> Value {
    let server = fhir_server::FhirServer::start();
    let (entries, _beds) = ward::ward(7, 40, chrono::Utc::now());
    ward::seed(&server.base(), entries);
    let (_dir, mut app) = app();
    configure(&app, &server.base());
    app.refresh_snapshot().expect("refresh");
    let rec = app
        .new_record_from_snapshot(template, "w5e-p01", "医師 見本")
        .expect("from the census");
    let mut values = demo_fixture(template).values;
    values.extend(rec.values.clone());
    app.replace(&rec.id, values).expect("save");
    app.finalize(&rec.id, "医師 試験 一郎").expect("finalize");
    let docs = documents(&mut app);
    assert_eq!(docs.len(), 1, "one document Bundle");
    docs[0].clone()
}

#[test]
fn the_packages_are_the_official_ones_unchanged() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/jpclins");
    for (file, sum) in [
        (
            "jp-clins.r4-1.5.2.tgz",
            "43e0dca184f68fe085c604be7655e85ca855de50a902138bad761b9e04b7d80c",
        ),
        (
            "jp-core.r4-1.1.2-url.tgz",
            "543416fae6e2040d66f64b901f0f361cf77867513cabab04019cc70467aeee4b",
        ),
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("package");
        let hex: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, sum, "{file}");
    }
    let p = packages();
    assert!(p.has(DISCHARGE) && p.has(REFERRAL));
}

#[test]
fn the_checker_finds_what_is_wrong_in_a_broken_document() {
    // the checker must fail where the profile says so, or its zero below means nothing
    let p = packages();
    let mut b = bundle_of("discharge-summary");
    let before = p.validate(DISCHARGE, &b).len();
    b["type"] = "collection".into();
    b["identifier"]["system"] = "urn:x".into();
    b["entry"].as_array_mut().expect("entries").truncate(1);
    let errors = p.validate(DISCHARGE, &b);
    let text = errors.join("\n");
    assert!(errors.len() > before, "{text}");
    assert!(
        text.contains("Bundle.type[0]: must be \"document\""),
        "{text}"
    );
    assert!(
        text.contains("Bundle.identifier[0].system[0]: must be"),
        "{text}"
    );
    assert!(
        text.contains("Bundle.entry: at least 6 required, 1 present"),
        "{text}"
    );
    assert!(
        text.contains("Bundle.entry:patient: at least 1 required, 0 present"),
        "{text}"
    );
}

#[test]
fn a_discharge_summary_for_a_snapshot_patient_conforms_to_jp_clins() {
    let p = packages();
    let b = bundle_of("discharge-summary");
    let errors = p.validate(DISCHARGE, &b);
    assert!(
        errors.is_empty(),
        "{} errors\n{}",
        errors.len(),
        errors.join("\n")
    );
    let entries = b["entry"].as_array().expect("entries");
    let of = |t: &'static str| {
        entries
            .iter()
            .filter(move |e| e["resource"]["resourceType"] == t)
    };
    // the subject is the server's Patient, with its names and ID as the EHR has them
    let patient = &of("Patient").next().expect("patient")["resource"];
    assert_eq!(patient["identifier"][0]["system"], ward::PATIENT_SYSTEM);
    assert!(
        patient["name"].as_array().is_some_and(|n| n.len() == 2),
        "kanji and kana"
    );
    // the problems as the server coded them, referenced from the discharge diagnoses
    let conditions: Vec<&Value> = of("Condition").collect();
    assert!(!conditions.is_empty());
    for c in &conditions {
        assert!(c["resource"]["code"]["coding"]
            .as_array()
            .is_some_and(|cs| cs
                .iter()
                .any(|x| x["system"] == "http://medis.or.jp/CodeSystem/master-disease-keyNumber")));
    }
    // the stay is finished at the discharge date
    let enc = &of("Encounter").next().expect("encounter")["resource"];
    assert_eq!(enc["status"], "finished");
    assert!(enc["period"]["end"].is_string() && enc["period"]["start"].is_string());
    // why the patient was in, as the EHR wrote it; its diagnosis list (the chief complaint's
    // Condition is not in the document) would not resolve, so it is left out
    assert!(enc["reasonCode"][0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("入院")));
    assert!(enc["serviceType"]["text"].is_string());
    for k in ["diagnosis", "serviceProvider", "location", "participant"] {
        assert!(enc.get(k).is_none(), "{k}: {enc}");
    }
}

#[test]
fn a_referral_for_a_snapshot_patient_conforms_to_jp_clins() {
    let p = packages();
    let b = bundle_of("referral-letter");
    let errors = p.validate(REFERRAL, &b);
    assert!(
        errors.is_empty(),
        "{} errors\n{}",
        errors.len(),
        errors.join("\n")
    );
    // two Organizations: this hospital, and the one the letter goes to, with its number
    let orgs: Vec<&Value> = b["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Organization")
        .collect();
    assert_eq!(orgs.len(), 2);
    assert!(orgs
        .iter()
        .any(|o| o["resource"]["name"] == "架空クリニック"
            && o["resource"]["identifier"][0]["value"] == "1319999999"));
}

#[test]
fn a_patient_not_in_the_snapshot_goes_as_a_document_reference_only() {
    let (_dir, mut app) = app();
    configure(&app, "http://127.0.0.1:9");
    finalized_demo(&mut app, "discharge-summary");
    assert!(
        documents(&mut app).is_empty(),
        "no JP-CLINS Bundle without the EHR's resources"
    );
    let out = app.sync_preview(10).expect("preview");
    assert_eq!(out[0].entries.len(), 1);
    assert_eq!(
        out[0].entries[0]["resource"]["resourceType"],
        "DocumentReference"
    );
    // and the reconciliation says so, on screen and on paper
    let r = app.reconciliation().expect("reconciliation");
    assert_eq!(r.rows[0].jpclins, Some(false));
    let pdf = app.reconciliation_pdf().expect("pdf");
    let dir = tempfile::tempdir().expect("tempdir");
    let text = poppler(
        "pdftotext",
        &[
            write_pdf(dir.path(), "r.pdf", &pdf.bytes)
                .to_str()
                .expect("utf-8"),
            "-",
        ],
    );
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains("JP-CLINS文書ではありません"), "{text}");
}
