//! Downtime as a state: declared downtime on records, drills from start to purge, the status
//! monitor against a local endpoint going down and up, the print pack, back-entry.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use common::*;
use hikae_app::audit::Action;
use hikae_app::config::Config;
use hikae_app::downtime::{Scope, ServiceKind};
use hikae_app::drill::MilestoneKey;
use hikae_app::monitor::{self, Monitor, ServiceDef, State};
use hikae_app::record::PaperOrigin;
use hikae_app::{Hikae, PrintPackRequest, TemplateCopies};
use hikae_store::AuditQuery;

fn login(dir: &std::path::Path, id: &str, pin: &str) -> Hikae {
    Hikae::unlock(dir, id, pin)
        .expect("unlock")
        .expect("right PIN")
}

fn chain_ok(app: &Hikae) -> bool {
    let all = app
        .test_store()
        .audit_entries(&AuditQuery::default())
        .expect("audit");
    hikae_app::audit::verify(&all, app.test_store().audit_anchor().expect("anchor")).is_empty()
}

fn entries(app: &Hikae, action: Action) -> Vec<hikae_app::audit::Entry> {
    app.test_store()
        .audit_entries(&AuditQuery {
            action: Some(action),
            ..AuditQuery::default()
        })
        .expect("audit")
}

#[test]
fn declared_downtime_is_audited_and_printed_on_records_made_during_it() {
    let (dir, _) = secured();
    let mut nurse = login(dir.path(), "N0001", "333333");
    let refused = nurse
        .declare_downtime(&[ServiceKind::Ehr], Scope::Ward, "電子カルテ応答なし")
        .expect_err("a nurse does not declare");
    assert_eq!(refused.code(), "forbidden", "{refused}");

    let before = finalized_demo(&mut nurse, "nursing-soap");
    let mut charge = login(dir.path(), "L0001", "555555");
    assert!(
        charge.declare_downtime(&[], Scope::Ward, "x").is_err(),
        "no service: refused"
    );
    assert!(
        charge
            .declare_downtime(&[ServiceKind::Ehr], Scope::Ward, "  ")
            .is_err(),
        "no reason: refused"
    );
    let d = charge
        .declare_downtime(
            &[ServiceKind::Ehr, ServiceKind::Ai],
            Scope::Hospital,
            "電子カルテ応答なし（14:05〜）",
        )
        .expect("declare");
    assert!(
        charge
            .declare_downtime(&[ServiceKind::Ai], Scope::Ward, "again")
            .is_err(),
        "one downtime at a time"
    );

    let during = finalized_demo(&mut nurse, "nursing-soap");
    assert_eq!(during.context.downtime.as_ref().map(|m| &m.id), Some(&d.id));
    assert!(before.context.downtime.is_none());
    let pdf = nurse.pdf(&during.id).expect("pdf");
    let path = write_pdf(dir.path(), "during.pdf", &pdf.bytes);
    for page in 1..=pdf.pages {
        let text = pdf_page_text(&path, page);
        assert!(
            text.contains("ダウンタイム中に作成") && text.contains("病院全体"),
            "page {page} lacks the downtime line:\n{text}"
        );
    }
    assert!(nurse
        .text(&during.id)
        .expect("text")
        .contains("ダウンタイム中に作成"));
    let before_pdf = write_pdf(
        dir.path(),
        "before.pdf",
        &nurse.pdf(&before.id).expect("pdf").bytes,
    );
    assert!(!pdf_page_text(&before_pdf, 1).contains("ダウンタイム中に作成"));

    let ended = charge.end_downtime("復旧確認済み").expect("end");
    assert!(ended.ended_at.is_some());
    assert!(charge.end_downtime("").is_err(), "nothing left to end");
    let after = finalized_demo(&mut nurse, "nursing-soap");
    assert!(after.context.downtime.is_none());
    // a correction made later keeps no stale downtime mark, and the original keeps its own
    assert_eq!(
        nurse
            .get(&during.id)
            .expect("get")
            .context
            .downtime
            .map(|m| m.id),
        Some(d.id.clone())
    );

    let log = entries(&charge, Action::Downtime);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log.iter().all(|e| e.event.actor.id == "L0001"));
    assert!(log[0]
        .event
        .detail
        .as_deref()
        .unwrap_or("")
        .contains("declare"));
    assert!(log[1].event.detail.as_deref().unwrap_or("").contains("end"));
    let history = charge.downtimes().expect("list");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].scope, Scope::Hospital);
    assert_eq!(history[0].declared_by, "リーダー 試験 三奈");
    assert!(chain_ok(&charge));
}

#[test]
fn a_drill_runs_from_start_to_report_and_its_records_are_never_sent_and_purged() {
    let (dir, mut app) = app();
    app.set_actor(hikae_app::audit::Actor::named("リーダー 試験 三奈"));
    let real = finalized_demo(&mut app, "nursing-soap");
    assert_eq!(app.sync_counts().expect("counts").pending, 1);

    let scenarios = app.scenarios();
    assert!(scenarios.len() >= 3, "{scenarios:?}");
    let started = app.start_drill("ai-outage-1400").expect("start");
    assert!(
        app.start_drill("ai-outage-1400").is_err(),
        "one drill at a time"
    );
    assert_eq!(started.scenario.procedures, vec!["ai-outage".to_string()]);

    // the ward works: a record, finalized and printed; two steps of the AI outage checklist
    let drill_rec = finalized_demo(&mut app, "nursing-soap");
    assert_eq!(
        drill_rec.context.drill_id.as_deref(),
        Some(started.id.as_str())
    );
    // a practice downtime, declared in the drill, ends with it
    let practice = app
        .declare_downtime(&[ServiceKind::Ai], Scope::Ward, "訓練：生成AI停止")
        .expect("practice downtime");
    assert_eq!(practice.drill_id.as_deref(), Some(started.id.as_str()));
    // a real record is not corrected during a drill (its correction would be real, and sent)
    let refused = app
        .correct(&real.id, "訓練中の訂正", "看護師 試験 花子")
        .expect_err("no real corrections in a drill");
    assert_eq!(refused.code(), "conflict", "{refused}");
    // the database keeps a record's drill as it was made
    assert!(app
        .test_store()
        .raw_connection()
        .execute(
            "UPDATE records SET drill_id = NULL WHERE id = ?1",
            [&drill_rec.id]
        )
        .is_err());
    app.new_record(
        "nursing-soap",
        patient("DRILL-P1", "訓練 患者"),
        "看護師 試験 花子",
        Default::default(),
    )
    .expect("a drill draft");
    let ward = app.recent_patients(50).expect("patients");
    assert!(
        ward.iter().any(|p| p.id == real.patient.id) && !ward.iter().any(|p| p.id == "DRILL-P1"),
        "drill patients are not the ward's patients: {ward:?}"
    );
    app.audit_output(&drill_rec.id, Action::Print, "printer test")
        .expect("print");
    let run = app
        .start_checklist("ai-outage", "看護師 試験 花子")
        .expect("checklist");
    app.tick_step(&run.id, 0, true, "看護師 試験 花子")
        .expect("tick");
    app.tick_step(&run.id, 1, true, "リーダー 試験 三奈")
        .expect("tick");

    // never queued for the FHIR server, and the database refuses to queue it
    assert_eq!(
        app.sync_counts().expect("counts").pending,
        1,
        "only the real record waits"
    );
    let forced = app.test_store().raw_connection().execute(
        "INSERT INTO outbox (record_id, state, next_attempt_at, queued_at) VALUES (?1, 'pending', 'x', 'x')",
        [&drill_rec.id],
    );
    assert!(
        forced.is_err(),
        "trigger refuses a drill record in the outbox"
    );
    // nor can it be deleted while the drill runs
    assert!(app.purge_drill(&started.id).is_err());
    assert!(app
        .test_store()
        .raw_connection()
        .execute("DELETE FROM records WHERE id = ?1", [&drill_rec.id])
        .is_err());

    // watermark and drill id on every page
    let pdf = app.pdf(&drill_rec.id).expect("pdf");
    let path = write_pdf(dir.path(), "drill.pdf", &pdf.bytes);
    for page in 1..=pdf.pages {
        let text = pdf_page_text(&path, page);
        assert!(
            text.contains("訓練 DRILL") && text.contains(&started.id),
            "page {page}:\n{text}"
        );
    }
    let raw = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    assert!(raw.contains("訓練 / DRILL"), "watermark text:\n{raw}");

    let live = app.running_drill().expect("running").expect("a drill");
    let at = |r: &hikae_app::drill::Report, k: MilestoneKey| {
        r.milestones
            .iter()
            .find(|m| m.key == k)
            .expect("milestone")
            .clone()
    };
    assert!(at(&live, MilestoneKey::FirstRecord).minutes.is_some());
    assert!(at(&live, MilestoneKey::FirstFinalized).minutes.is_some());
    assert!(at(&live, MilestoneKey::FirstPrinted).minutes.is_some());
    assert!(
        at(&live, MilestoneKey::FirstLogin).minutes.is_none(),
        "nobody logged in"
    );
    assert!(
        at(&live, MilestoneKey::ProceduresDone).minutes.is_none(),
        "steps remain"
    );
    assert_eq!(live.steps.len(), 2);
    let ai_steps = app.procedure("ai-outage").expect("procedure").1.steps.len();
    assert_eq!(live.missed.len(), ai_steps - 2);

    let report = app
        .end_drill(
            &["看護師 試験 花子".to_string(), " ".to_string()],
            "訓練メモ",
            "プリンタの場所が分からなかった",
            "プリンタ設定を手順書に追記する",
        )
        .expect("end");
    assert!(report.ended_at.is_some());
    assert_eq!(report.records.created, 2);
    assert_eq!(report.records.finalized, 1);
    assert_eq!(report.records.printed, 1);
    assert!(report
        .participants
        .contains(&"看護師 試験 花子".to_string()));
    assert!(report
        .participants
        .contains(&"リーダー 試験 三奈".to_string()));
    assert!(app.end_drill(&[], "", "", "").is_err(), "already ended");
    assert!(
        app.active_downtime().expect("downtime").is_none(),
        "the practice downtime ended"
    );
    assert_eq!(
        app.downtimes().expect("list")[0].end_note.as_deref(),
        Some("訓練終了")
    );

    // after the drill, records are real again
    let after = finalized_demo(&mut app, "sbar-handover");
    assert!(after.context.drill_id.is_none());

    let pdf = app.drill_report_pdf(&report.id).expect("report pdf");
    let path = write_pdf(dir.path(), "report.pdf", &pdf.bytes);
    let text = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    for want in [
        "継続訓練 報告書",
        "14:00 生成AIサービス停止、認証は稼働",
        "プリンタの場所が分からなかった",
        "プリンタ設定を手順書に追記する",
        "最初の記録確定",
        "実施されなかった手順",
        report.id.as_str(),
    ] {
        assert!(text.contains(want), "report lacks {want}:\n{text}");
    }

    let n = app.purge_drill(&report.id).expect("purge");
    assert_eq!(n, 2);
    assert!(app.get(&drill_rec.id).is_err(), "drill record gone");
    assert!(
        app.get(&real.id).is_ok() && app.get(&after.id).is_ok(),
        "real records kept"
    );
    assert!(app.purge_drill(&report.id).is_err(), "once");
    // the frozen report survives the purge
    let again = app.drill_report(&report.id).expect("report");
    assert_eq!(again.records.created, 2);
    assert_eq!(again.purged_records, Some(2));
    let list = app.drills().expect("list");
    assert_eq!(list.len(), 1);
    assert!(list[0].purged && list[0].first_finalized_min.is_some());
    for a in [Action::DrillStart, Action::DrillEnd, Action::DrillPurge] {
        assert_eq!(entries(&app, a).len(), 1, "{a:?}");
    }
    assert!(chain_ok(&app));
}

#[test]
fn only_charge_nurses_and_admins_run_drills() {
    let (dir, _) = secured();
    let mut nurse = login(dir.path(), "N0001", "333333");
    assert_eq!(
        nurse
            .start_drill("ai-outage-1400")
            .expect_err("nurse")
            .code(),
        "forbidden"
    );
    let mut charge = login(dir.path(), "L0001", "555555");
    let d = charge.start_drill("full-outage-8h").expect("charge nurse");
    let rec = finalized_demo(&mut nurse, "nursing-soap");
    assert_eq!(rec.context.drill_id.as_deref(), Some(d.id.as_str()));
    // the nurse logged in before the drill; the doctor's login during it is the first one
    let before = charge.running_drill().expect("ok").expect("running");
    assert!(before
        .milestones
        .iter()
        .any(|m| m.key == MilestoneKey::FirstLogin && m.minutes.is_none()));
    let _doctor = login(dir.path(), "D0001", "222222");
    let live = charge.running_drill().expect("ok").expect("running");
    assert!(live
        .milestones
        .iter()
        .any(|m| m.key == MilestoneKey::FirstLogin && m.minutes.is_some()));
}

/// A tiny HTTP server: answers with the status in `status` after `delay_ms`.
fn health_server() -> (
    u16,
    Arc<AtomicU16>,
    Arc<AtomicU64>,
    std::thread::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let status = Arc::new(AtomicU16::new(200));
    let delay = Arc::new(AtomicU64::new(0));
    let (s, d) = (status.clone(), delay.clone());
    let h = std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { continue };
            let code = s.load(Ordering::SeqCst);
            if code == 0 {
                break; // stop: the listener closes and connections are refused
            }
            let mut buf = [0u8; 2048];
            let _ = c.read(&mut buf);
            std::thread::sleep(Duration::from_millis(d.load(Ordering::SeqCst)));
            let _ = c.write_all(
                format!("HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                    .as_bytes(),
            );
        }
    });
    (port, status, delay, h)
}

#[test]
fn probes_see_a_local_service_go_down_and_come_back() {
    let (port, status, delay, server) = health_server();
    let mut cfg = Config::default();
    cfg.monitor.slow_ms = 300;
    cfg.monitor.timeout_ms = 1000;
    cfg.monitor.services.push(ServiceDef {
        id: "ehr".into(),
        kind: ServiceKind::Ehr,
        name: "電子カルテ".into(),
        url: format!("http://127.0.0.1:{port}/health"),
    });
    let mut m = Monitor::new(&cfg);
    let probe = |m: &mut Monitor| {
        let p = monitor::probe(m.url(0).expect("url"), &cfg.tls, m.timeout()).expect("probe");
        m.observe(0, p, Utc::now(), Instant::now());
        m.statuses()[0].clone()
    };
    assert_eq!(probe(&mut m).state, State::Up);
    assert!(m.suggestion(None).is_none());

    delay.store(600, Ordering::SeqCst);
    let slow = probe(&mut m);
    assert_eq!(slow.state, State::Degraded, "slow answer");
    delay.store(0, Ordering::SeqCst);
    status.store(503, Ordering::SeqCst);
    let failing = probe(&mut m);
    assert_eq!(failing.state, State::Degraded);
    assert_eq!(failing.last_error.as_deref(), Some("HTTP 503"));

    // the service goes away: one miss is degraded, two are down, and probes back off
    status.store(0, Ordering::SeqCst);
    let _ = std::net::TcpStream::connect(("127.0.0.1", port)); // wake the server to stop
    server.join().expect("server stops");
    assert_eq!(probe(&mut m).state, State::Degraded);
    let t = Instant::now();
    let down = probe(&mut m);
    assert_eq!(down.state, State::Down, "{down:?}");
    assert!(down.last_error.is_some());
    let next = m.next_due().expect("next");
    assert!(
        next > t + Duration::from_secs(cfg.monitor.interval_secs),
        "backed off"
    );
    let s = m.suggestion(None).expect("suggests declaring");
    assert_eq!(
        (s.kind, s.services.clone()),
        ("declare", vec![ServiceKind::Ehr])
    );

    // it comes back on the same port while a downtime is declared: recovery is proposed
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("rebind the same port");
    let back = std::thread::spawn(move || {
        if let Some(Ok(mut c)) = listener.incoming().next() {
            let mut buf = [0u8; 2048];
            let _ = c.read(&mut buf);
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    assert_eq!(probe(&mut m).state, State::Up);
    back.join().expect("served");
    let declared = hikae_app::downtime::Downtime {
        id: "DN-x".into(),
        services: vec![ServiceKind::Ehr],
        scope: Scope::Ward,
        reason: "test".into(),
        declared_by: "x".into(),
        // declared while the service was down
        started_at: Utc::now() - chrono::Duration::minutes(5),
        ended_by: None,
        ended_at: None,
        end_note: None,
        drill_id: None,
    };
    let s = m.suggestion(Some(&declared)).expect("suggests recovery");
    assert_eq!(s.kind, "recover");
    // not for a practice downtime, nor for one declared while the service was already up
    let practice = hikae_app::downtime::Downtime {
        drill_id: Some("DR-x".into()),
        ..declared.clone()
    };
    assert!(m.suggestion(Some(&practice)).is_none());
    let later = hikae_app::downtime::Downtime {
        started_at: Utc::now(),
        ..declared
    };
    assert!(m.suggestion(Some(&later)).is_none());
}

#[test]
fn nothing_configured_nothing_probed() {
    let m = Monitor::new(&Config::default());
    assert!(m.is_empty() && m.statuses().is_empty() && m.suggestion(None).is_none());
    // a sync endpoint is watched as the EHR
    let mut cfg = Config::default();
    cfg.sync.endpoint = Some("http://127.0.0.1:9/fhir".into());
    let m = Monitor::new(&cfg);
    assert_eq!(m.url(0), Some("http://127.0.0.1:9/fhir/metadata"));
}

#[test]
fn print_pack_for_twenty_patients_has_every_page_headed() {
    let (dir, mut app) = app();
    app.set_actor(hikae_app::audit::Actor::named("リーダー 試験 三奈"));
    let patients: Vec<_> = (1..=20)
        .map(|i| patient(&format!("P-{i:04}"), &format!("試験 患者{i}")))
        .collect();
    let pages_of = |app: &mut Hikae, templates: Vec<TemplateCopies>, procedures, contacts| {
        app.print_pack(
            &PrintPackRequest {
                patients: patients[..1].to_vec(),
                templates,
                procedures,
                contacts,
                snapshot: false,
            },
            Action::Export,
            "test",
            &mut |_, _| {},
        )
        .expect("pack")
        .pages
    };
    let copies = |id: &str, n| TemplateCopies {
        id: id.into(),
        copies: n,
    };
    let soap = pages_of(&mut app, vec![copies("nursing-soap", 1)], false, false);
    let sbar = pages_of(&mut app, vec![copies("sbar-handover", 1)], false, false);
    let tail = pages_of(&mut app, vec![], true, true);
    let mut seen = Vec::new();
    let pdf = app
        .print_pack(
            &PrintPackRequest {
                patients: patients.clone(),
                templates: vec![copies("nursing-soap", 2), copies("sbar-handover", 1)],
                procedures: true,
                contacts: true,
                snapshot: false,
            },
            Action::Export,
            "test",
            &mut |d, t| seen.push((d, t)),
        )
        .expect("pack");
    let per_patient = 2 * soap + sbar;
    assert_eq!(pdf.pages, 20 * per_patient + tail);
    assert_eq!(
        seen.last().map(|(d, t)| d == t),
        Some(true),
        "progress to the end: {seen:?}"
    );
    let path = write_pdf(dir.path(), "pack.pdf", &pdf.bytes);
    assert_eq!(pdf_pages(&path), pdf.pages);
    for (i, p) in patients.iter().enumerate() {
        for k in 0..per_patient {
            let page = i * per_patient + k + 1;
            let text = pdf_page_text(&path, page);
            let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            assert!(
                header.contains(&format!("患者ID {}", p.id)) && header.contains(&p.name),
                "page {page} header: {header}"
            );
            let title = if k < 2 * soap {
                "看護記録"
            } else {
                "申し送り"
            };
            assert!(header.contains(title), "page {page} header: {header}");
        }
    }
    let last = pdf_page_text(&path, pdf.pages);
    assert!(last.contains("非常時連絡先一覧"), "{last}");
    let text = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    assert!(text.contains("ダウンタイム手順チェックリスト"));
    // logged once, naming the patients, before it was handed out
    let log = entries(&app, Action::Export);
    assert!(log.iter().any(|e| e
        .event
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("20 patients") && d.contains("P-0020"))));

    let none = app.print_pack(
        &PrintPackRequest {
            patients: vec![patient("P-1", " ")],
            templates: vec![copies("nursing-soap", 1)],
            procedures: false,
            contacts: false,
            snapshot: false,
        },
        Action::Export,
        "x",
        &mut |_, _| {},
    );
    assert!(none.is_err(), "a patient without a name is refused");
    let unknown = app.print_pack(
        &PrintPackRequest {
            patients: patients.clone(),
            templates: vec![copies("no-such-template", 1)],
            procedures: false,
            contacts: false,
            snapshot: false,
        },
        Action::Export,
        "x",
        &mut |_, _| {},
    );
    assert!(unknown.is_err());
}

#[test]
fn paper_records_are_back_entered_with_their_original_time_and_author() {
    let (_dir, mut app) = app();
    let f = demo_fixture("nursing-soap");
    let written = Utc
        .with_ymd_and_hms(2026, 11, 21, 18, 10, 0)
        .single()
        .expect("time");
    assert_eq!(
        hikae_app::paper_time("2026/11/22 03:10").expect("parse"),
        written
    );
    let rec = app
        .new_record_with(
            "nursing-soap",
            f.patient.clone(),
            "看護師 入力 係",
            f.values.clone(),
            Some(PaperOrigin {
                written_at: written,
                author: "看護師 紙野 記子".into(),
            }),
        )
        .expect("back-entry");
    let text = app.text(&rec.id).expect("text");
    assert!(
        text.contains("紙記録からの後入力（原本記載 2026/11/22 03:10 看護師 紙野 記子）"),
        "{text}"
    );
    let created = entries(&app, Action::Create);
    assert!(created
        .last()
        .and_then(|e| e.event.detail.clone())
        .is_some_and(|d| d.contains("紙記録からの後入力")));
    let future = app.new_record_with(
        "nursing-soap",
        f.patient.clone(),
        "x",
        f.values.clone(),
        Some(PaperOrigin {
            written_at: Utc::now() + chrono::Duration::hours(2),
            author: "x".into(),
        }),
    );
    assert!(future.is_err(), "a paper record from the future");
    let nobody = app.new_record_with(
        "nursing-soap",
        f.patient,
        "x",
        f.values,
        Some(PaperOrigin {
            written_at: written,
            author: " ".into(),
        }),
    );
    assert!(nobody.is_err(), "the original author is needed");
    assert!(hikae_app::paper_time("昨日の夜").is_err());
}
