//! The audit trail: what is logged, and that every way of tampering with it is found.

mod common;

use common::*;
use hikae_app::audit::{fhir_audit_event, verify, Action, Actor, Event, Finding};
use hikae_app::Hikae;
use hikae_store::AuditQuery;
use serde_json::json;

fn actions(app: &Hikae) -> Vec<&'static str> {
    app.test_store()
        .audit_entries(&AuditQuery::default())
        .expect("entries")
        .iter()
        .map(|e| e.event.action.as_str())
        .collect()
}

/// A data dir with a short history: create, edits, finalize, view, print, correct, tick.
fn history() -> (tempfile::TempDir, Hikae, String) {
    let (dir, mut app) = app();
    app.set_actor(Actor::named("医師 試験 一郎"));
    let f = demo_fixture("discharge-summary");
    let rec = app
        .new_record(&f.template, f.patient, "医師 試験 一郎", f.values)
        .expect("create");
    for i in 0..5 {
        app.update(
            &rec.id,
            values(json!({"hospital_course": format!("経過 {i}")})),
        )
        .expect("save");
    }
    app.finalize(&rec.id, "医師 試験 一郎").expect("finalize");
    app.view(&rec.id).expect("view");
    app.audit_output(&rec.id, Action::Print, "printer 3F")
        .expect("print");
    app.correct(&rec.id, "退院日の誤記", "医師 試験 一郎")
        .expect("correct");
    let run = app
        .start_checklist("ai-outage", "看護師 試験 花子")
        .expect("start");
    app.tick_step(&run.id, 0, true, "看護師 試験 花子")
        .expect("tick");
    (dir, app, rec.id)
}

#[test]
fn each_action_is_logged_once_with_who_what_and_why() {
    let (_dir, app, id) = history();
    assert_eq!(
        actions(&app),
        [
            "create",
            "edit",
            "finalize",
            "view",
            "print",
            "correct",
            "checklist_tick"
        ],
        "autosaves are one edit entry, not one per keystroke"
    );
    let entries = app
        .test_store()
        .audit_entries(&AuditQuery::default())
        .expect("entries");
    let create = &entries[0];
    assert_eq!(create.event.record_id.as_deref(), Some(id.as_str()));
    assert_eq!(create.event.actor.name, "医師 試験 一郎");
    assert!(
        create
            .event
            .purpose
            .as_deref()
            .is_some_and(|p| !p.is_empty()),
        "purpose from the pack"
    );
    assert!(
        create.event.data_category.is_some(),
        "data category from the pack"
    );
    let fin = &entries[2];
    assert_eq!(fin.event.final_reviewer.as_deref(), Some("医師 試験 一郎"));
    let correct = &entries[5];
    assert_ne!(
        correct.event.record_id.as_deref(),
        Some(id.as_str()),
        "names the new version"
    );
    assert!(correct
        .event
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("退院日の誤記")));
    assert!(entries
        .windows(2)
        .all(|w| w[1].seq == w[0].seq + 1 && w[1].at >= w[0].at));
    assert!(verify(&entries, app.test_store().audit_anchor().expect("anchor")).is_empty());

    let by_record = app
        .test_store()
        .audit_entries(&AuditQuery {
            record_id: Some(id.clone()),
            ..AuditQuery::default()
        })
        .expect("filter");
    assert_eq!(by_record.len(), 5);
}

#[test]
fn the_database_refuses_to_change_the_log() {
    let (_dir, app, _) = history();
    let db = app.test_store().raw_connection();
    for sql in [
        "UPDATE audit_log SET actor_name = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 7",
    ] {
        let e = db.execute(sql, []).expect_err(sql);
        assert!(e.to_string().contains("append-only"), "{e}");
    }
}

/// Tampers with a copy of the log the way someone with the file and SQLite would (dropping
/// the triggers first), then runs `hikae audit verify` on it.
fn tampered(sql: &str) -> (i32, String) {
    let (dir, app, _) = history();
    drop(app);
    let conn = rusqlite::Connection::open(dir.path().join("hikae.db")).expect("open");
    conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .expect("drop triggers");
    conn.execute_batch(sql).expect(sql);
    drop(conn);
    let out = cli(dir.path(), &["audit", "verify"]);
    (out.status.code().unwrap_or(-1), stderr(&out))
}

#[test]
fn an_intact_log_verifies() {
    let (dir, app, _) = history();
    drop(app);
    let out = cli(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok: 7 entries"), "{}", stdout(&out));
}

#[test]
fn an_edited_entry_is_found() {
    let (code, msg) = tampered("UPDATE audit_log SET actor_name = '別人' WHERE seq = 3");
    assert_eq!(code, 8, "{msg}");
    assert!(msg.contains("entry 3 was changed"), "{msg}");
}

#[test]
fn a_deleted_entry_is_found() {
    let (code, msg) = tampered("DELETE FROM audit_log WHERE seq = 4");
    assert_eq!(code, 8, "{msg}");
    assert!(msg.contains("entry 4 is missing"), "{msg}");
}

#[test]
fn an_inserted_entry_is_found() {
    // make room at 3 and insert a forged copy of entry 2 there
    let (code, msg) = tampered(
        "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3;
         UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103;
         INSERT INTO audit_log SELECT 3, at, actor_id, actor_name, actor_role, session, break_glass, 'view', success, record_id, patient_id, purpose, data_category, final_reviewer, detail, hash, hash FROM audit_log WHERE seq = 2;",
    );
    assert_eq!(code, 8, "{msg}");
    assert!(
        msg.contains("entry 3 was changed") && msg.contains("entry 4 was changed"),
        "{msg}"
    );
}

#[test]
fn reordered_entries_are_found() {
    let (code, msg) = tampered(
        "UPDATE audit_log SET seq = 100 WHERE seq = 4;
         UPDATE audit_log SET seq = 4 WHERE seq = 5;
         UPDATE audit_log SET seq = 5 WHERE seq = 100;",
    );
    assert_eq!(code, 8, "{msg}");
    assert!(msg.contains("entry 4"), "{msg}");
}

#[test]
fn a_truncated_tail_is_found_by_the_anchor() {
    let (code, msg) = tampered("DELETE FROM audit_log WHERE seq >= 6");
    assert_eq!(code, 8, "{msg}");
    assert!(
        msg.contains("entries after 5 are missing") && msg.contains("reached entry 7"),
        "{msg}"
    );
}

#[test]
fn a_rewritten_chain_is_found_by_the_anchor() {
    // edit entry 3 and recompute every hash from there: the chain is consistent again,
    // but no longer ends where it did
    let (dir, app, _) = history();
    let mut entries = app
        .test_store()
        .audit_entries(&AuditQuery::default())
        .expect("entries");
    let anchor = app.test_store().audit_anchor().expect("anchor");
    drop(app);
    entries[2].event.actor.name = "別人".into();
    let mut prev = entries[1].hash.clone();
    for e in entries.iter_mut().skip(2) {
        e.prev_hash = prev.clone();
        e.hash = hikae_app::audit::entry_hash(
            e.seq,
            &hikae_app::audit::ts(e.at),
            &e.event,
            &e.prev_hash,
        );
        prev = e.hash.clone();
    }
    let findings = verify(&entries, anchor);
    assert_eq!(findings, vec![Finding::AnchorMismatch { seq: 7 }]);
    drop(dir);
}

#[test]
fn exports_json_lines_and_fhir_audit_events() {
    let (dir, mut app, id) = history();
    let bg = Actor {
        id: "BG-1".into(),
        name: "看護師 緊急 花子".into(),
        role: Some("nurse".into()),
        session: Some("s-1".into()),
        break_glass: true,
    };
    app.append_audit_event(Event::new(&bg, Action::BreakGlass).detail("認証基盤停止のため"))
        .expect("audit");
    drop(app);
    // exports go outside the data folder (the CLI refuses to write into it)
    let out_dir = tempfile::tempdir().expect("tempdir");
    let jsonl = out_dir.path().join("audit.jsonl");
    let fhir = out_dir.path().join("audit.ndjson");
    let out = cli(
        dir.path(),
        &[
            "audit",
            "export",
            "--jsonl",
            jsonl.to_str().expect("path"),
            "--fhir",
            fhir.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .expect("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0]["action"], "create");
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[7]["prev_hash"], lines[6]["hash"]);

    let events: Vec<serde_json::Value> = std::fs::read_to_string(&fhir)
        .expect("ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(events.len(), 8);
    let create = &events[0];
    assert_eq!(create["resourceType"], "AuditEvent");
    assert_eq!(create["action"], "C");
    assert_eq!(create["outcome"], "0");
    assert_eq!(create["agent"][0]["who"]["display"], "医師 試験 一郎");
    assert_eq!(create["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
    assert_eq!(
        create["entity"][0]["what"]["identifier"]["value"],
        format!("urn:uuid:{id}")
    );
    assert!(create["recorded"]
        .as_str()
        .is_some_and(|r| r.ends_with('Z')));
    assert!(create["source"]["observer"]["display"]
        .as_str()
        .is_some_and(|s| s.starts_with("Hikae")));
    let fin = &events[2];
    let details = fin["entity"][0]["detail"].as_array().expect("details");
    assert!(details
        .iter()
        .any(|d| d["type"] == "final_reviewer" && d["valueString"] == "医師 試験 一郎"));
    let bg = &events[7];
    assert_eq!(
        bg["agent"][0]["purposeOfUse"][0]["coding"][0]["code"],
        "ETREAT"
    );
    assert_eq!(bg["type"]["code"], "110113");

    // the same mapping straight from the library
    let e = &hikae_store::Store::open(&dir.path().join("hikae.db"))
        .expect("open")
        .audit_entries(&AuditQuery::default())
        .expect("entries")[0];
    assert_eq!(fhir_audit_event(e, "Hikae test")["id"], "hikae-1");
}

#[test]
fn the_self_test_passes_an_intact_pc_and_fails_a_tampered_log() {
    let (dir, app, _) = history();
    drop(app);
    let out = cli(dir.path(), &["selftest"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    for line in [
        "store\tok",
        "audit\tok",
        "packs\tok",
        "disk\tok",
        "clock\tok",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    let json = cli(dir.path(), &["selftest", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(v["checks"].as_array().map(Vec::len), Some(7), "{v}");

    let conn = rusqlite::Connection::open(dir.path().join("hikae.db")).expect("open");
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor_name = 'x' WHERE seq = 2;",
    )
    .expect("tamper");
    drop(conn);
    let out = cli(dir.path(), &["selftest"]);
    assert!(!out.status.success(), "a tampered log fails the self-test");
    assert!(stdout(&out).contains("audit\tFAIL"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("self-test failed: audit"),
        "{}",
        stderr(&out)
    );
}
