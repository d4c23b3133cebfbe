//! Copy-forward ("前回から作成"): a new record starts from the patient's previous one, with
//! what the pack allows; carried text stays marked until edited or confirmed, finalizing
//! asks for the rest, the PDF names the source, and drills never mix with real records.

mod common;

use common::*;
use hikae_app::Error;
use serde_json::json;

const CARRIED: [&str; 6] = [
    "room",
    "background",
    "assessment",
    "recommendation",
    "code_status",
    "isolation",
];

/// Yesterday's SBAR of the demo patient, finalized.
fn yesterday(app: &mut hikae_app::Hikae) -> hikae_app::record::Record {
    finalized_demo(app, "sbar-handover")
}

#[test]
fn a_new_sbar_carries_yesterdays_and_waits_for_each_field_to_be_confirmed() {
    let (_dir, mut app) = app();
    let old = yesterday(&mut app);
    let f = demo_fixture("sbar-handover");
    let rec = app
        .new_record_from_previous("sbar-handover", f.patient.clone(), "看護師 例示")
        .expect("from previous");
    let c = rec.context.carried.clone().expect("carried");
    assert_eq!(c.from_record, old.id);
    assert_eq!(c.fields, CARRIED.to_vec());
    assert!(c.confirmed.is_empty());
    for k in CARRIED {
        assert_eq!(rec.values[k], old.values[k], "{k} carried as it was");
    }
    // today's facts are never carried: the situation, the vital signs, the times and staff
    for k in [
        "situation",
        "temperature",
        "handover_at",
        "from_staff",
        "tasks",
    ] {
        assert!(!rec.values.contains_key(k), "{k} is not carried");
    }
    // editing a carried field confirms it; the others stay unconfirmed
    let mut v = rec.values.clone();
    v.insert(
        "assessment".into(),
        json!("疼痛は NRS 2/10。離床は病棟内2周。"),
    );
    v.insert("situation".into(), json!("術後2日目。夜間は入眠できた。"));
    v.insert("handover_at".into(), json!("2026/11/22 16:30"));
    v.insert("from_staff".into(), json!("例示 健（日勤）"));
    let (saved, _) = app.replace(&rec.id, v).expect("save");
    let c = saved.context.carried.clone().expect("carried");
    assert_eq!(c.confirmed, vec!["assessment".to_string()]);
    // finalizing with unconfirmed carried text is refused, naming the fields
    let e = app
        .finalize(&rec.id, "看護師 例示")
        .expect_err("unconfirmed");
    let msg = e.to_string();
    assert!(matches!(e, Error::BadState { .. }), "{e:?}");
    for label in ["背景", "提案"] {
        assert!(msg.contains(label), "{msg}");
    }
    // confirming one by one, then the rest at finalize
    let c = app.confirm_carried(&rec.id, "background").expect("confirm");
    assert!(c.confirmed.contains(&"background".to_string()));
    assert!(
        app.confirm_carried(&rec.id, "situation").is_err(),
        "not a carried field"
    );
    let done = app
        .finalize_confirming(&rec.id, "看護師 例示", true)
        .expect("finalize with confirmation");
    let c = done.context.carried.clone().expect("carried");
    assert_eq!(c.confirmed.len(), c.fields.len());
    // the PDF says where the text came from
    let pdf = app.pdf(&done.id).expect("pdf");
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
    assert!(flat.contains("前回記録（"), "{text}");
    assert!(flat.contains("から引き継ぎ"), "{text}");
    assert!(flat.contains("6項目中6項目を作成者が確認"), "{text}");
    // the source was read to make it: audited as a view of that record
    let views = app
        .audit_entries(&hikae_app::AuditQuery {
            record_id: Some(old.id.clone()),
            ..hikae_app::AuditQuery::default()
        })
        .expect("audit");
    assert!(views
        .iter()
        .any(|e| e.event.detail.as_deref() == Some("copy-forward source for a new sbar-handover")));
    assert!(app.audit_check().expect("audit").findings.is_empty());
}

#[test]
fn a_drill_never_carries_real_records_and_the_latest_version_is_the_source() {
    let (_dir, mut app) = app();
    app.set_actor(hikae_app::audit::Actor::named("リーダー 試験 三奈"));
    let f = demo_fixture("sbar-handover");
    // nothing earlier: a clear error
    let e = app
        .new_record_from_previous("sbar-handover", f.patient.clone(), "看護師 例示")
        .expect_err("nothing earlier");
    assert!(e.to_string().contains("no earlier finalized record"), "{e}");
    let old = yesterday(&mut app);
    // a correction supersedes it: the correction is the source
    let corr = app
        .correct(&old.id, "背景の誤記", "看護師 例示")
        .expect("correct");
    app.update(
        &corr.id,
        hikae_app::form::Values::from_iter([("background".to_string(), json!("訂正後の背景"))]),
    )
    .expect("edit correction");
    let corr = app
        .finalize(&corr.id, "看護師 例示")
        .expect("finalize correction");
    let rec = app
        .new_record_from_previous("sbar-handover", f.patient.clone(), "看護師 例示")
        .expect("from previous");
    assert_eq!(
        rec.context.carried.as_ref().expect("carried").from_record,
        corr.id
    );
    assert_eq!(rec.values["background"], "訂正後の背景");
    // during a drill, real records are not a source
    app.start_drill("ai-outage-1400").expect("drill");
    let e = app
        .new_record_from_previous("sbar-handover", f.patient.clone(), "看護師 例示")
        .expect_err("a drill does not carry real records");
    assert!(e.to_string().contains("no earlier finalized record"), "{e}");
}

#[test]
fn pack_check_refuses_carrying_dates_unknown_fields_and_templates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let pack = dir.path().join("pack");
    assert!(std::process::Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&pack)
        .status()
        .expect("cp")
        .success());
    let toml = std::fs::read_to_string(pack.join("pack.toml")).expect("pack.toml");
    let toml = toml.replace(
        "fields = [\"room\", \"background\", \"assessment\", \"recommendation\", \"code_status\", \"isolation\"]",
        "fields = [\"room\", \"handover_at\", \"mood\"]\nfrom = [\"no-such-template\"]",
    );
    std::fs::write(pack.join("pack.toml"), &toml).expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let out = cli(
        data.path(),
        &["pack", "check", pack.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    for needle in [
        "'handover_at' is a date: a date is never carried",
        "'mood': no such field in the form",
        "from 'no-such-template': no such template in the pack",
    ] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
}

#[test]
fn stock_phrases_come_from_the_pack_and_each_user_keeps_their_own() {
    let (_dir, mut app) = app();
    app.set_actor(hikae_app::audit::Actor::named("看護師 見本"));
    let pack: Vec<_> = app.phrases("sbar-handover").expect("phrases");
    assert!(pack.iter().any(|p| p.field == "situation"
        && p.text == "特記すべき変化なし。"
        && p.reading.as_deref() == Some("とっきすべきへんかなし")
        && p.personal.is_none()));
    let mine = app
        .save_phrase(
            "sbar-handover",
            "situation",
            "  離床時ふらつきあり、見守りで歩行。 ",
            Some("りしょうじふらつき"),
        )
        .expect("save");
    assert_eq!(mine.text, "離床時ふらつきあり、見守りで歩行。");
    let id = mine.personal.expect("personal id");
    // saved twice: kept once
    app.save_phrase(
        "sbar-handover",
        "situation",
        "離床時ふらつきあり、見守りで歩行。",
        None,
    )
    .expect("again");
    let listed = app.phrases("sbar-handover").expect("phrases");
    assert_eq!(listed.iter().filter(|p| p.personal.is_some()).count(), 1);
    // another user does not see it, and cannot delete it
    app.set_actor(hikae_app::audit::Actor::named("看護師 例示"));
    assert!(app
        .phrases("sbar-handover")
        .expect("phrases")
        .iter()
        .all(|p| p.personal.is_none()));
    assert!(matches!(app.delete_phrase(id), Err(Error::NotFound(_))));
    app.set_actor(hikae_app::audit::Actor::named("看護師 見本"));
    app.delete_phrase(id).expect("delete own");
    assert!(app
        .phrases("sbar-handover")
        .expect("phrases")
        .iter()
        .all(|p| p.personal.is_none()));
    // what a phrase may not be
    for (field, text, why) in [
        ("code_status", "DNAR", "text fields"),
        ("situation", "   ", "empty"),
        ("no_such_field", "x", "no such field"),
    ] {
        let e = app
            .save_phrase("sbar-handover", field, text, None)
            .expect_err(why);
        assert!(e.to_string().contains(why), "{e}");
    }
    let long = "あ".repeat(501);
    assert!(app
        .save_phrase("sbar-handover", "situation", &long, None)
        .is_err());
    assert!(app.audit_check().expect("audit").findings.is_empty());
}

#[test]
fn pack_check_names_phrases_for_fields_that_cannot_take_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let pack = dir.path().join("pack");
    assert!(std::process::Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&pack)
        .status()
        .expect("cp")
        .success());
    let toml = std::fs::read_to_string(pack.join("pack.toml")).expect("pack.toml");
    let toml = toml.replacen(
        "[template.phrases]\nsituation = [",
        "[template.phrases]\ncode_status = [\"DNAR\"]\nmood = [\"\"]\nsituation = [",
        1,
    );
    std::fs::write(pack.join("pack.toml"), &toml).expect("write");
    let line_of = |needle: &str| {
        toml.lines()
            .position(|l| l.starts_with(needle))
            .expect("line")
            + 1
    };
    let data = tempfile::tempdir().expect("tempdir");
    let out = cli(
        data.path(),
        &["pack", "check", pack.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "pack.toml:{}: [template.phrases] of 'sbar-handover': 'code_status': phrases go into text fields",
            line_of("code_status = [")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "pack.toml:{}: [template.phrases] of 'sbar-handover': 'mood': no such field",
            line_of("mood = [")
        )),
        "{err}"
    );
}
