//! Downtime procedure checklists: ticks with who and when, kept across restarts,
//! append-only in the database itself, and printed.

mod common;

use common::*;
use hikae_app::Hikae;

const PROC: &str = "ai-outage";

#[test]
fn ticking_records_who_and_when_and_survives_a_restart() {
    let (dir, mut app) = app();
    assert!(app.open_checklist(PROC).expect("open").is_none());
    let run = app
        .start_checklist(PROC, "看護師 試験 花子")
        .expect("start");
    let steps = app.procedure(PROC).expect("procedure").1.steps;
    assert!(steps.len() >= 3);

    app.tick_step(&run.id, 0, true, "看護師 試験 花子")
        .expect("tick 1");
    app.tick_step(&run.id, 2, true, "医師 試験 一郎")
        .expect("tick 3");
    let after = app
        .tick_step(&run.id, 2, false, "医師 試験 一郎")
        .expect("untick 3");
    assert_eq!(after.done_steps(), vec![0]);
    assert_eq!(after.ticks.len(), 3, "unticking is a new row, not an edit");
    let t = after.step_state(0).expect("step 1 ticked");
    assert_eq!(t.by, "看護師 試験 花子");
    assert_eq!(t.step_text, steps[0].text.ja);
    assert!((chrono::Utc::now() - t.at).num_seconds() < 60);

    drop(app);
    let app = Hikae::open_demo(dir.path()).expect("reopen");
    let again = app
        .open_checklist(PROC)
        .expect("open")
        .expect("run in progress");
    assert_eq!(again.id, run.id);
    assert_eq!(again.ticks, after.ticks);
}

#[test]
fn bad_ticks_are_refused_with_a_clear_error() {
    let (_dir, mut app) = app();
    let run = app
        .start_checklist(PROC, "看護師 試験 花子")
        .expect("start");
    let n = app.procedure(PROC).expect("procedure").1.steps.len();
    let e = app
        .tick_step(&run.id, n, true, "看護師 試験 花子")
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("there is no step {}", n + 1)),
        "{e}"
    );
    let e = app.tick_step(&run.id, 0, true, "  ").unwrap_err();
    assert_eq!(e.code(), "bad_input");
    let e = app
        .tick_step("no-such-run", 0, true, "看護師 試験 花子")
        .unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
    assert!(app.start_checklist("no-such-procedure", "x").is_err());

    app.end_checklist(&run.id, "看護師 試験 花子").expect("end");
    let e = app
        .tick_step(&run.id, 0, true, "看護師 試験 花子")
        .unwrap_err();
    assert_eq!(e.code(), "bad_state", "{e}");
    let e = app.end_checklist(&run.id, "看護師 試験 花子").unwrap_err();
    assert_eq!(e.code(), "bad_state", "{e}");
    assert!(app.open_checklist(PROC).expect("open").is_none());
    assert_eq!(
        app.test_store().checklists(Some(PROC)).expect("list").len(),
        1
    );
}

#[test]
fn the_database_refuses_to_rewrite_ticks() {
    let (_dir, mut app) = app();
    let run = app
        .start_checklist(PROC, "看護師 試験 花子")
        .expect("start");
    app.tick_step(&run.id, 0, true, "看護師 試験 花子")
        .expect("tick");
    let db = app.test_store().raw_connection();
    for sql in [
        "UPDATE checklist_ticks SET by_whom = 'someone else'",
        "DELETE FROM checklist_ticks",
        "DELETE FROM checklist_runs",
        "UPDATE checklist_runs SET started_by = 'someone else'",
    ] {
        let e = db.execute(sql, []).expect_err(sql);
        assert!(e.to_string().contains("checklist"), "{sql}: {e}");
    }
    app.end_checklist(&run.id, "看護師 試験 花子").expect("end");
    let db = app.test_store().raw_connection();
    let e = db
        .execute(
            "INSERT INTO checklist_ticks (run_id, step, step_text, done, by_whom, at) VALUES (?1, 1, 'x', 1, 'x', '2026-11-21T00:00:00Z')",
            [&run.id],
        )
        .expect_err("tick after end");
    assert!(e.to_string().contains("ended"), "{e}");
    let e = db
        .execute("UPDATE checklist_runs SET ended_by = 'someone else'", [])
        .expect_err("end twice");
    assert!(e.to_string().contains("once"), "{e}");
}

#[test]
fn the_checklist_prints_with_ticks_names_and_times_or_blank_for_paper() {
    let (dir, mut app) = app();
    let proc = app.procedure(PROC).expect("procedure").1;
    let run = app
        .start_checklist(PROC, "看護師 試験 花子")
        .expect("start");
    let ticked = app
        .tick_step(&run.id, 1, true, "医師 試験 一郎")
        .expect("tick");
    let at = hikae_app::record::jst(ticked.step_state(1).expect("ticked").at);

    let pdf = app.checklist_pdf(PROC, Some(&run.id)).expect("pdf");
    assert!(pdf.substituted.is_empty(), "{:?}", pdf.substituted);
    let path = write_pdf(dir.path(), "run.pdf", &pdf.bytes);
    let text: String = (1..=pdf_pages(&path))
        .map(|p| pdf_page_text(&path, p))
        .collect();
    assert!(text.contains(&proc.title.ja), "title missing");
    assert!(text.contains("医師 試験 一郎"), "who missing");
    assert!(text.contains(&at), "when ({at}) missing");
    assert!(text.contains("1 / ") && text.contains("手順"), "{text}");
    assert_eq!(text.matches('✓').count(), 1, "exactly one step ticked");

    let blank = app.checklist_pdf(PROC, None).expect("blank pdf");
    let path = write_pdf(dir.path(), "blank.pdf", &blank.bytes);
    let text: String = (1..=pdf_pages(&path))
        .map(|p| pdf_page_text(&path, p))
        .collect();
    assert_eq!(text.matches('✓').count(), 0);
    assert!(
        text.matches('□').count() >= proc.steps.len(),
        "a box per step"
    );
    assert!(text.contains("紙で記入する用紙"));

    let e = app.checklist_pdf("ransomware", Some(&run.id)).unwrap_err();
    assert!(e.to_string().contains("belongs to procedure"), "{e}");
}
