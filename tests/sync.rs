//! Sync back (in progress): the outbox is filled in the finalizing transaction, and the
//! DocumentReference carries the exact PDF.

mod common;

use base64::Engine;
use common::*;
use hikae::store::SyncState;
use sha1::Digest;

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
    assert!(app.store.outbox().expect("outbox").is_empty());
    let fin = finalized_demo(&mut app, "discharge-summary");
    let out = app.store.outbox().expect("outbox");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].record_id, fin.id);
    assert_eq!(out[0].state, SyncState::Pending);
    assert!(app.store.outbox_entry(&draft.id).expect("entry").is_none());

    // acknowledged stays acknowledged, and nothing is ever deleted
    app.store.outbox_sending(&fin.id).expect("sending");
    app.store
        .outbox_acknowledged(&fin.id, "DocumentReference/42")
        .expect("ack");
    let e = app.store.outbox_rejected(&fin.id, "late 400").unwrap_err();
    assert!(e.to_string().contains("acknowledged"), "{e}");
    let db = app.store.raw_connection();
    assert!(db.execute("DELETE FROM outbox", []).is_err());
}

#[test]
fn the_document_reference_carries_the_exact_pdf() {
    let (_dir, mut app) = app();
    let fin = finalized_demo(&mut app, "discharge-summary");
    let pdf = app.pdf(&fin.id).expect("pdf");
    let doc = hikae::sync::fhir::document_reference(
        &fin,
        "退院時サマリー",
        &pdf.bytes,
        "urn:oid:1.2.392.100495.20.3.51.1",
    );
    let att = &doc["content"][0]["attachment"];
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = b64
        .decode(att["data"].as_str().expect("data"))
        .expect("base64");
    assert_eq!(data, pdf.bytes);
    assert_eq!(att["size"], pdf.bytes.len());
    assert_eq!(att["hash"], b64.encode(sha1::Sha1::digest(&pdf.bytes)));
    assert_eq!(
        doc["identifier"][0]["value"],
        format!("urn:uuid:{}", fin.id)
    );
    assert_eq!(doc["type"]["coding"][0]["code"], "18842-5");
    assert_eq!(doc["status"], "current");
    assert!(doc.get("relatesTo").is_none());

    let v2 = app
        .correct(&fin.id, "誤記", "医師 試験 一郎")
        .expect("correct");
    let doc2 = hikae::sync::fhir::document_reference(&v2, "退院時サマリー", &pdf.bytes, "urn:x");
    assert_eq!(doc2["relatesTo"][0]["code"], "replaces");
    assert_eq!(
        doc2["relatesTo"][0]["target"]["identifier"]["value"],
        format!("urn:uuid:{}", fin.id)
    );
}
