//! Sync back against a real FHIR R4 engine (Medplum's, tests/fhir-server), through a proxy
//! that drops, delays, fails and resets: every finalized record arrives exactly once, and
//! what the server refuses is shown and can be fixed and resent.

mod common;
#[path = "support/fhir.rs"]
mod fhir_server;
#[path = "support/ward.rs"]
mod ward;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use common::*;
use fhir_server::{FaultProxy, FhirServer, Plan};
use hikae_app::sync::{self, Phase, RowState};
use hikae_app::Hikae;
use hikae_store::{Filing, SyncState};
use sha1::Digest;

/// Points the app's config at `endpoint`.
fn configure(app: &Hikae, endpoint: &str, extra: &str) {
    let text = format!(
        "[sync]\nendpoint = \"{endpoint}\"\npatient_system = \"urn:oid:1.2.392.100495.20.3.51.11318814790\"\ninstitution_no = \"1318814790\"\ninstitution_name = \"架空総合病院\"\nproduction = false\n{extra}"
    );
    std::fs::write(app.data_dir().join("config.toml"), text).expect("config");
}

/// Puts the demo patients of `templates` in the ward snapshot (a JP-CLINS document is made
/// only for a patient the snapshot knows): admitted on `server`, then one refresh.
fn in_snapshot(app: &mut Hikae, server: &FhirServer, templates: &[&str]) {
    let patients: Vec<(String, String)> = templates
        .iter()
        .map(|t| {
            let f = demo_fixture(t);
            (f.patient.id, f.patient.name)
        })
        .collect();
    ward::seed(&server.base(), ward::inpatients(&patients));
    let cfg = std::fs::read_to_string(app.data_dir().join("config.toml")).unwrap_or_default();
    std::fs::write(
        app.data_dir().join("config.toml"),
        format!("{cfg}\n[snapshot]\nwards = [\"{}\"]\n", ward::WARD),
    )
    .expect("config");
    app.refresh_snapshot().expect("snapshot");
}

fn fast() -> sync::Options {
    sync::Options {
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(400),
        max_wait: Duration::from_secs(5),
        give_up_after: 1000,
        ..sync::Options::default()
    }
}

fn sync_now(app: &mut Hikae, opts: &sync::Options) -> sync::Outcome {
    let client = app.sync_client().expect("client");
    let cancel = AtomicBool::new(false);
    let host = sync::Direct(std::cell::RefCell::new(app));
    sync::run(&host, &client, opts, &cancel, |_| {}).expect("sync run")
}

/// The server's resources of `ty` by the record identifier value.
fn by_identifier(server: &FhirServer, ty: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in server.all(ty) {
        let v = match ty {
            "Bundle" => r["identifier"]["value"].as_str().map(String::from),
            _ => r["identifier"][0]["value"].as_str().map(String::from),
        };
        *m.entry(v.expect("identifier")).or_default() += 1;
    }
    m
}

#[test]
fn finalizing_queues_the_record_once_and_drafts_never() {
    let (_dir, mut app) = app();
    let f = demo_fixture("sbar-handover");
    let draft = app
        .new_record(
            "sbar-handover",
            f.patient.clone(),
            &f.author,
            f.values.clone(),
        )
        .expect("draft");
    assert!(app.test_store().outbox().expect("outbox").is_empty());
    let fin = finalized_demo(&mut app, "discharge-summary");
    let out = app.test_store().outbox().expect("outbox");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].record_id, fin.id);
    assert_eq!(out[0].state, SyncState::Pending);
    assert!(app
        .test_store_mut()
        .outbox_entry(&draft.id)
        .expect("entry")
        .is_none());

    // acknowledged stays acknowledged, and nothing is ever deleted
    let file = |f: Filing| vec![(fin.id.clone(), f)];
    app.test_store_mut()
        .outbox_file(&file(Filing::Sending), &[])
        .expect("sending");
    app.test_store_mut()
        .outbox_file(
            &file(Filing::Acknowledged {
                server_id: "DocumentReference/42".into(),
            }),
            &[],
        )
        .expect("ack");
    let e = app
        .test_store_mut()
        .outbox_file(
            &file(Filing::Rejected {
                error: "late 400".into(),
            }),
            &[],
        )
        .unwrap_err();
    assert!(e.to_string().contains("acknowledged"), "{e}");
    let db = app.test_store().raw_connection();
    assert!(db.execute("DELETE FROM outbox", []).is_err());
}

#[test]
fn the_document_reference_carries_the_exact_pdf() {
    let server = FhirServer::start();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    in_snapshot(&mut app, &server, &["discharge-summary"]);
    let fin = finalized_demo(&mut app, "discharge-summary");
    let preview = app.sync_preview(usize::MAX >> 1).expect("preview");
    assert_eq!(preview.len(), 1);
    let entries = &preview[0].entries;
    let doc = &entries[0]["resource"];
    let pdf = app.pdf(&fin.id).expect("pdf");
    let att = &doc["content"][0]["attachment"];
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = b64
        .decode(att["data"].as_str().expect("data"))
        .expect("base64");
    // the PDF is rendered again for sending: it must be the very same bytes
    assert!(data == pdf.bytes, "printing is reproducible");
    assert_eq!(att["size"], data.len());
    assert_eq!(att["hash"], b64.encode(sha1::Sha1::digest(&data)));
    assert_eq!(
        doc["identifier"][0]["value"],
        format!("urn:uuid:{}", fin.id)
    );
    assert_eq!(doc["type"]["coding"][0]["code"], "18842-5");
    assert_eq!(doc["status"], "current");
    assert!(doc.get("relatesTo").is_none());
    // conditional create on the record's identifier, with a fullUrl that is not that id
    assert_eq!(entries[0]["request"]["method"], "POST");
    assert_eq!(
        entries[0]["request"]["ifNoneExist"],
        format!("identifier=urn:ietf:rfc:3986|urn:uuid:{}", fin.id)
    );
    assert_ne!(entries[0]["fullUrl"], doc["identifier"][0]["value"]);

    // the JP-CLINS document (the patient is in the ward snapshot): Composition first, the
    // PDF under section 230 (tests/jpclins.rs checks it against the profiles)
    let bundle = &entries[1]["resource"];
    assert_eq!(bundle["type"], "document");
    assert_eq!(
        bundle["identifier"]["value"],
        format!(
            "1318814790^{}^{}",
            fin.finalized_at.expect("fin").format("%Y"),
            fin.id
        )
    );
    let comp = &bundle["entry"][0]["resource"];
    assert_eq!(comp["resourceType"], "Composition");
    assert_eq!(
        comp["type"]["coding"][0]["system"],
        "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes"
    );
    let sections = comp["section"].as_array().expect("sections");
    let pdf_section = sections
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "230")
        .expect("section 230");
    let target = pdf_section["entry"][0]["reference"].as_str().expect("ref");
    let pdf_entry = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["fullUrl"] == target)
        .expect("the 230 entry points into the bundle");
    assert_eq!(pdf_entry["resource"]["resourceType"], "DocumentReference");
    assert_eq!(
        pdf_entry["resource"]["content"][0]["attachment"]["hash"],
        att["hash"]
    );
    let structured = sections
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "300")
        .expect("section 300");
    let hospital_course = structured["section"]
        .as_array()
        .expect("subsections")
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == "333")
        .expect("333 入院中経過");
    assert!(hospital_course["text"]["div"]
        .as_str()
        .expect("div")
        .contains("入院経過"));
}

#[test]
fn records_reach_a_real_fhir_server_once_and_corrections_supersede() {
    let server = FhirServer::start();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    in_snapshot(&mut app, &server, &["discharge-summary", "referral-letter"]);
    let ds = finalized_demo(&mut app, "discharge-summary");
    finalized_demo(&mut app, "referral-letter");
    finalized_demo(&mut app, "sbar-handover");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 3, "{o:?}");
    assert_eq!(o.progress.rejected, 0, "{o:?}");
    assert_eq!(server.count("DocumentReference"), 3);
    assert_eq!(server.count("Bundle"), 2, "discharge summary and referral");
    for e in app.test_store().outbox().expect("outbox") {
        assert_eq!(e.state, SyncState::Acknowledged);
        let ids = e.server_id.expect("server id");
        assert!(ids.starts_with("DocumentReference/"), "{ids}");
        assert!(e.acknowledged_at.is_some());
    }
    // a second run sends nothing
    let again = sync_now(&mut app, &fast());
    assert_eq!(again.progress.requests, 0);
    assert_eq!(server.count("DocumentReference"), 3);

    // a correction: the new version replaces the old one, which becomes superseded
    let v2 = app
        .correct(&ds.id, "退院日の誤記", "医師 試験 一郎")
        .expect("correct");
    let v2 = app.finalize(&v2.id, "医師 試験 一郎").expect("finalize v2");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 1, "{o:?}");
    let docs = server.all("DocumentReference");
    assert_eq!(docs.len(), 4);
    let find = |id: &str| {
        docs.iter()
            .find(|d| d["identifier"][0]["value"] == format!("urn:uuid:{id}"))
            .expect("on the server")
            .clone()
    };
    assert_eq!(find(&ds.id)["status"], "superseded");
    let new = find(&v2.id);
    assert_eq!(new["status"], "current");
    assert_eq!(new["relatesTo"][0]["code"], "replaces");
    assert_eq!(
        new["relatesTo"][0]["target"]["identifier"]["value"],
        format!("urn:uuid:{}", ds.id)
    );
    // the audit log says who sent what where
    let sent = app
        .test_store()
        .audit_entries(&hikae_store::AuditQuery {
            action: Some(hikae_app::audit::Action::Sync),
            ..Default::default()
        })
        .expect("audit");
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|e| e.event.success
        && e.event
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("DocumentReference/")));
}

#[test]
fn a_thousand_records_arrive_exactly_once_through_every_fault() {
    let server = FhirServer::start();
    let proxy = FaultProxy::start(server.addr, Plan::hostile(20261121));
    let (_dir, mut app) = app();
    configure(&app, &proxy.base(), "batch_size = 25\ntimeout_secs = 5\n");
    let mut n = 0;
    while app.test_store().outbox().expect("outbox").len() < 1000 {
        hikae_app::demo::bulk(&mut app, 50).expect("bulk");
        n += 50;
        assert!(n < 5000, "bulk records are not being finalized");
    }
    let expected: Vec<String> = app
        .test_store()
        .outbox()
        .expect("outbox")
        .into_iter()
        .map(|e| e.record_id)
        .collect();
    let mut runs = 0;
    loop {
        runs += 1;
        let o = sync_now(&mut app, &fast());
        assert_eq!(o.progress.rejected, 0, "nothing here is invalid: {o:?}");
        if o.pending == 0 {
            break;
        }
        assert!(runs < 20, "still {} pending after {runs} runs", o.pending);
    }
    let t = &proxy.tally;
    for (what, n) in [
        ("dropped", t.dropped.load(Ordering::Relaxed)),
        ("delayed", t.delayed.load(Ordering::Relaxed)),
        ("500", t.status_500.load(Ordering::Relaxed)),
        ("503 Retry-After", t.status_503.load(Ordering::Relaxed)),
        (
            "reset after commit",
            t.reset_after_commit.load(Ordering::Relaxed),
        ),
    ] {
        assert!(
            n > 0,
            "the proxy never {what}: the test would prove nothing"
        );
    }
    let docs = by_identifier(&server, "DocumentReference");
    assert_eq!(
        docs.len(),
        expected.len(),
        "one DocumentReference per record"
    );
    for id in &expected {
        assert_eq!(docs.get(&format!("urn:uuid:{id}")), Some(&1), "{id}");
    }
    let bundles = by_identifier(&server, "Bundle");
    assert!(bundles.values().all(|&n| n == 1), "a document Bundle twice");
    let states = app.test_store().outbox().expect("outbox");
    assert!(states.iter().all(|e| e.state == SyncState::Acknowledged));
    eprintln!(
        "{} records in {runs} runs; proxy: {} requests, {} dropped, {} delayed, {} × 500, {} × 503, {} reset after commit",
        expected.len(),
        t.requests.load(Ordering::Relaxed),
        t.dropped.load(Ordering::Relaxed),
        t.delayed.load(Ordering::Relaxed),
        t.status_500.load(Ordering::Relaxed),
        t.status_503.load(Ordering::Relaxed),
        t.reset_after_commit.load(Ordering::Relaxed),
    );
}

#[test]
fn a_rejected_record_never_blocks_the_others_and_can_be_fixed_and_resent() {
    let server = FhirServer::start();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    // the server knows no patient "UNKNOWN-1" and refuses records about it
    let f = demo_fixture("sbar-handover");
    let bad = app
        .new_record(
            "sbar-handover",
            patient("UNKNOWN-1", "試験 未登録"),
            &f.author,
            f.values.clone(),
        )
        .expect("create");
    let bad = app.finalize(&bad.id, "看護師 試験").expect("finalize");
    let good: Vec<_> = (0..4)
        .map(|_| finalized_demo(&mut app, "sbar-handover").id)
        .collect();
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 4, "{o:?}");
    assert_eq!(o.progress.rejected, 1, "{o:?}");
    let e = app
        .test_store()
        .outbox_entry(&bad.id)
        .expect("entry")
        .expect("queued");
    assert_eq!(e.state, SyncState::Rejected);
    let why = e.last_error.expect("the server's reason");
    assert!(
        why.contains("UNKNOWN-1"),
        "the OperationOutcome text is kept: {why}"
    );
    for id in &good {
        assert_eq!(
            app.test_store()
                .outbox_entry(id)
                .expect("e")
                .expect("q")
                .state,
            SyncState::Acknowledged
        );
    }
    // the report shows it first, with the reason
    let r = app.reconciliation().expect("report");
    assert_eq!(r.rows[0].record_id, bad.id);
    assert_eq!(r.rows[0].state, RowState::Rejected);
    // fixed: the patient ID was mistyped; mapped to the registered one and resent
    app.map_patient("UNKNOWN-1", "P-0001", None).expect("map");
    app.resend(&bad.id).expect("resend");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 1, "{o:?}");
    let doc = server
        .all("DocumentReference")
        .into_iter()
        .find(|d| d["identifier"][0]["value"] == format!("urn:uuid:{}", bad.id))
        .expect("arrived");
    assert_eq!(doc["subject"]["identifier"]["value"], "P-0001");
    assert_eq!(server.count("DocumentReference"), 5);
}

#[test]
fn temporary_patient_ids_wait_for_mapping_which_is_audited() {
    let server = FhirServer::start();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    let f = demo_fixture("nursing-soap");
    let r = app
        .new_record(
            "nursing-soap",
            patient("仮-0007", "救急 仮名"),
            &f.author,
            f.values.clone(),
        )
        .expect("create");
    let r = app.finalize(&r.id, "看護師 試験").expect("finalize");
    finalized_demo(&mut app, "sbar-handover");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 1);
    assert_eq!(o.held, 1);
    let rep = app.reconciliation().expect("report");
    assert_eq!(rep.unmapped.len(), 1);
    assert_eq!(rep.unmapped[0].temporary_id, "仮-0007");
    assert_eq!(rep.counts.held, 1);
    // the printable report names it too
    let dir = tempfile::tempdir().expect("tmp");
    let pdf = app.reconciliation_pdf().expect("pdf");
    let path = write_pdf(dir.path(), "report.pdf", &pdf.bytes);
    let text = poppler("pdftotext", &["-layout", path.to_str().expect("p"), "-"]);
    assert!(text.contains("同期照合レポート"), "{text}");
    assert!(text.contains("仮-0007"), "{text}");

    // a real ID that looks temporary is refused
    assert!(app.map_patient("仮-0007", "仮-0008", None).is_err());
    assert_eq!(
        app.map_patient("仮-0007", "P-0042", Some("試験 花子"))
            .expect("map"),
        1
    );
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 1);
    assert_eq!(o.held, 0);
    let doc = server
        .all("DocumentReference")
        .into_iter()
        .find(|d| d["identifier"][0]["value"] == format!("urn:uuid:{}", r.id))
        .expect("sent");
    assert_eq!(doc["subject"]["identifier"]["value"], "P-0042");
    assert_eq!(doc["subject"]["display"], "試験 花子");
    // the PDF sent carries the real ID too
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = b64
        .decode(
            doc["content"][0]["attachment"]["data"]
                .as_str()
                .expect("data"),
        )
        .expect("b64");
    let sent = write_pdf(dir.path(), "sent.pdf", &bytes);
    let text = poppler("pdftotext", &[sent.to_str().expect("p"), "-"]);
    assert!(text.contains("P-0042"), "{text}");
    let mapped = app
        .test_store()
        .audit_entries(&hikae_store::AuditQuery::default())
        .expect("audit")
        .into_iter()
        .any(|e| {
            e.event
                .detail
                .as_deref()
                .unwrap_or("")
                .contains("仮-0007 mapped to P-0042")
        });
    assert!(mapped, "mapping is audited");
    // once sent, the mapping cannot change behind the server's back
    let e = app.map_patient("仮-0007", "P-0043", None).unwrap_err();
    assert!(e.to_string().contains("already sent"), "{e}");
}

#[test]
fn every_emitted_resource_is_valid_fhir_and_the_validator_catches_a_bad_hash() {
    let (dir, mut app) = app();
    configure(&app, "http://127.0.0.1:9", "");
    let mut templates = std::collections::BTreeSet::new();
    for f in hikae_app::demo::fixtures().expect("fixtures") {
        let Some(reviewer) = &f.final_reviewer else {
            continue; // a fixture meant to stay a draft
        };
        let r = app
            .new_record(&f.template, f.patient.clone(), &f.author, f.values.clone())
            .expect("create");
        app.finalize(&r.id, reviewer).expect("finalize");
        templates.insert(f.template.clone());
    }
    // a correction too (relatesTo)
    let ds = finalized_demo(&mut app, "discharge-summary");
    let v2 = app
        .correct(&ds.id, "誤記", "医師 試験 一郎")
        .expect("correct");
    app.finalize(&v2.id, "医師 試験 一郎").expect("finalize v2");
    assert!(templates.len() >= 8, "most templates: {templates:?}");
    assert!(templates.contains("referral-letter") && templates.contains("discharge-summary"));
    let out = app.sync_preview(usize::MAX >> 1).expect("preview");
    let mut nd = String::new();
    for o in &out {
        for e in &o.entries {
            if e["request"]["method"] == "POST" {
                nd.push_str(&serde_json::to_string(&e["resource"]).expect("json"));
                nd.push('\n');
            }
        }
    }
    let path = dir.path().join("resources.ndjson");
    std::fs::write(&path, &nd).expect("write");
    let (ok, report) = fhir_server::validate(&path);
    assert!(ok, "{report}");
    // the same check must fail on a hash that does not match the PDF
    let first: serde_json::Value =
        serde_json::from_str(nd.lines().next().expect("line")).expect("json");
    let mut bad = first.clone();
    bad["content"][0]["attachment"]["hash"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    let bad_path = dir.path().join("bad.ndjson");
    std::fs::write(&bad_path, serde_json::to_string(&bad).expect("json")).expect("write");
    let (ok, report) = fhir_server::validate(&bad_path);
    assert!(!ok, "a wrong hash must be caught: {report}");
}

#[test]
fn a_server_that_refuses_our_credentials_stops_the_run_and_loses_nothing() {
    let server = FhirServer::start();
    let (dir, mut app) = app();
    let token = dir.path().join("token");
    std::fs::write(&token, "wrong-token\n").expect("token");
    configure(
        &app,
        &format!("{}/require-token/s3cret", server.base()),
        &format!("token_file = \"{}\"\n", token.display()),
    );
    let r = finalized_demo(&mut app, "sbar-handover");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.phase, Phase::Unreachable);
    assert!(
        o.progress
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("credentials"),
        "{o:?}"
    );
    let e = app
        .test_store()
        .outbox_entry(&r.id)
        .expect("e")
        .expect("queued");
    assert_eq!(
        e.state,
        SyncState::Pending,
        "not the record's fault: not rejected"
    );
    std::fs::write(&token, "s3cret\n").expect("token");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 1, "{o:?}");
}

#[test]
fn a_run_stopped_midway_resumes_without_duplicates() {
    let server = FhirServer::start();
    let proxy = FaultProxy::start(server.addr, Plan::none());
    let (_dir, mut app) = app();
    configure(&app, &proxy.base(), "batch_size = 5\n");
    hikae_app::demo::bulk(&mut app, 40).expect("bulk");
    let queued = app.test_store().outbox().expect("outbox").len();
    // cancelled after the first answer
    let client = app.sync_client().expect("client");
    let cancel = AtomicBool::new(false);
    {
        let host = sync::Direct(std::cell::RefCell::new(&mut app));
        let o = sync::run(&host, &client, &fast(), &cancel, |p| {
            if p.requests >= 1 {
                cancel.store(true, Ordering::Relaxed);
            }
        })
        .expect("run");
        assert_eq!(o.progress.phase, Phase::Cancelled);
        assert!(o.progress.acknowledged < queued);
    }
    // a crash between taking a batch and filing its answer leaves records in `sending`
    let taken = app.sync_take(5).expect("take");
    assert!(!taken.is_empty());
    for t in &taken {
        assert_eq!(
            app.test_store()
                .outbox_entry(&t.record_id)
                .expect("e")
                .expect("q")
                .state,
            SyncState::Sending
        );
    }
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.pending, 0);
    assert_eq!(by_identifier(&server, "DocumentReference").len(), queued);
    assert!(by_identifier(&server, "DocumentReference")
        .values()
        .all(|&n| n == 1));
}

#[test]
fn configuration_mistakes_are_named() {
    let (_dir, mut app) = app();
    finalized_demo(&mut app, "sbar-handover");
    let e = app.sync_client().err().expect("no endpoint");
    assert!(e.to_string().contains("[sync] endpoint"), "{e}");
    configure(&app, "ftp://x", "");
    let e = app.sync_client().err().expect("ftp");
    assert!(e.to_string().contains("http"), "{e}");
    configure(&app, "http://127.0.0.1:9", "batch_size = 0\n");
    let e = app.sync_client().err().expect("batch");
    assert!(e.to_string().contains("batch_size"), "{e}");
    configure(
        &app,
        "http://127.0.0.1:9",
        "token_file = \"/nonexistent/token\"\n",
    );
    let e = app.sync_client().err().expect("token");
    assert!(e.to_string().contains("token_file"), "{e}");
    std::fs::write(
        app.data_dir().join("config.toml"),
        "[sync]\nendpoint = \"http://127.0.0.1:9\"\nbatchsize = 3\n",
    )
    .expect("config");
    let e = app.sync_client().err().expect("typo");
    assert!(e.to_string().contains("config.toml:3"), "{e}");
    // nothing listens on port 9: the run stops as unreachable and keeps the record
    configure(&app, "http://127.0.0.1:9", "");
    let o = sync_now(
        &mut app,
        &sync::Options {
            give_up_after: 2,
            ..fast()
        },
    );
    assert_eq!(o.progress.phase, Phase::Unreachable);
    assert_eq!(o.pending, 1);
}

/// A hospital CA, a server certificate for 127.0.0.1 and a ward PC's client certificate.
fn pki(dir: &std::path::Path) {
    let sh = format!(
        r#"set -e
cd {d}
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Kakuu Hospital Test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf "subjectAltName=IP:127.0.0.1\n" > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout ward.key -out ward.csr -subj "/CN=ward-3F-pc1" 2>/dev/null
printf "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n" > client.ext
openssl x509 -req -in ward.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ward.pem -days 2 -extfile client.ext 2>/dev/null
openssl x509 -req -in ward.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ward-v1.pem -days 2 2>/dev/null
"#,
        d = dir.display()
    );
    let ok = std::process::Command::new("sh")
        .args(["-c", &sh])
        .status()
        .expect("openssl");
    assert!(ok.success(), "making test certificates");
}

#[test]
fn tls_uses_the_hospital_ca_and_the_ward_client_certificate() {
    let pki_dir = tempfile::tempdir().expect("tmp");
    pki(pki_dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    // an HTTPS server that demands a client certificate signed by the hospital CA
    let server = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"resourceType":"CapabilityStatement"}'
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("server.pem", "server.key")
ctx.load_verify_locations("ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print("ready", flush=True)
s.serve_forever()
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", server, &port.to_string()])
        .current_dir(pki_dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("ready");
    let (_dir, app) = app();
    let endpoint = format!("https://127.0.0.1:{port}");
    let p = |f: &str| pki_dir.path().join(f).display().to_string();
    let reach = |tls: &str| {
        configure(&app, &endpoint, "");
        let text = std::fs::read_to_string(app.data_dir().join("config.toml")).expect("cfg");
        std::fs::write(
            app.data_dir().join("config.toml"),
            format!("{text}[tls]\n{tls}"),
        )
        .expect("cfg");
        app.sync_client().and_then(|c| c.reachable())
    };
    // the public web roots do not know the hospital's CA
    let e = reach("").unwrap_err();
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // the CA, but no client certificate: the server hangs up
    assert!(reach(&format!("ca_file = \"{}\"\n", p("ca.pem"))).is_err());
    // both
    reach(&format!(
        "ca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
        p("ca.pem"),
        p("ward.pem"),
        p("ward.key")
    ))
    .expect("mutual TLS with the hospital CA");
    // an X.509 v1 certificate is refused with the file named (ureq itself would panic)
    let e = reach(&format!(
        "ca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
        p("ca.pem"),
        p("ward-v1.pem"),
        p("ward.key")
    ))
    .unwrap_err();
    assert!(e.to_string().contains("ward-v1.pem"), "{e}");
    // half a client certificate, or a file that is not PEM, is named
    let e = reach(&format!("client_cert = \"{}\"\n", p("ward.pem"))).unwrap_err();
    assert!(e.to_string().contains("client_key"), "{e}");
    let e = reach(&format!("ca_file = \"{}\"\n", p("san.ext"))).unwrap_err();
    assert!(e.to_string().contains("ca_file"), "{e}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Security finding 9: nothing of the audit log left the PC. After each sync the server
/// answered, the chain head (last sequence number and hash) goes as an AuditEvent, so a
/// rewrite of the local log can be found against a copy the PC cannot reach.
#[test]
fn the_audit_chain_head_reaches_the_server_after_each_sync() {
    let server = FhirServer::start();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    finalized_demo(&mut app, "sbar-handover");
    let o = sync_now(&mut app, &fast());
    assert_eq!(o.progress.acknowledged, 1, "{o:?}");
    let head = |app: &Hikae| {
        let last = app
            .audit_check()
            .expect("audit")
            .entries
            .last()
            .cloned()
            .expect("entries");
        (last.seq.to_string(), last.hash)
    };
    let sent = |server: &FhirServer| -> Vec<(String, String)> {
        server
            .all("AuditEvent")
            .iter()
            .filter(|a| a["subtype"][0]["code"] == "chain_head")
            .map(|a| {
                let d = &a["entity"][0]["detail"];
                (
                    d[0]["valueString"].as_str().unwrap_or_default().to_string(),
                    d[1]["valueString"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        sent(&server),
        vec![head(&app)],
        "the head after the run's filings"
    );
    // a run with nothing to send contacts nobody and sends no head
    let again = sync_now(&mut app, &fast());
    assert_eq!(again.progress.requests, 0);
    assert_eq!(sent(&server).len(), 1);
    // more work, another sync: the new head
    finalized_demo(&mut app, "nursing-soap");
    sync_now(&mut app, &fast());
    let heads = sent(&server);
    assert_eq!(heads.len(), 2);
    assert_eq!(heads.last(), Some(&head(&app)));
}

/// Sync attaches the PDF kept when the record was finalized (rendered once, then never
/// changed) instead of rendering it again; the database refuses to change a kept PDF.
#[test]
fn the_pdf_kept_at_finalize_is_the_one_sent_and_cannot_be_changed() {
    let (_dir, mut app) = app();
    let fin = finalized_demo(&mut app, "nursing-soap");
    let draft = app
        .new_record(
            "sbar-handover",
            patient("P-0100", "架空 次郎"),
            "看護師",
            values(serde_json::json!({"situation": "下書き"})),
        )
        .expect("draft");
    let conn = app.test_store().raw_connection();
    let (sha, len): (String, i64) = conn
        .query_row(
            "SELECT sha256, length(pdf) FROM record_pdfs WHERE record_id = ?1",
            [&fin.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a PDF is kept at finalize");
    let drafts: i64 = conn
        .query_row(
            "SELECT count(*) FROM record_pdfs WHERE record_id = ?1",
            [&draft.id],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(drafts, 0, "nothing is kept for a draft");
    for sql in [
        "UPDATE record_pdfs SET pdf = x'00'",
        "DELETE FROM record_pdfs",
    ] {
        assert!(conn.execute(sql, []).is_err(), "{sql} is refused");
    }
    let preview = app.sync_preview(10).expect("preview");
    let att = &preview[0].entries[0]["resource"]["content"][0]["attachment"];
    let data = base64::engine::general_purpose::STANDARD
        .decode(att["data"].as_str().expect("data"))
        .expect("base64");
    assert_eq!(data.len() as i64, len);
    let got: String = sha2::Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got, sha, "the bytes sent are the bytes kept");
}
