//! The fleet against a real FHIR R4 engine (Medplum's, tests/fhir-server): each PC's readiness
//! heartbeat is one conditional update that keeps one Device per PC, and the administrator's
//! report flags each kind of unready PC, most urgent first.

mod common;
#[path = "support/fhir.rs"]
mod fhir_server;

use chrono::{Duration, Utc};
use common::*;
use fhir_server::FhirServer;
use hikae_app::audit::Action;
use hikae_app::{AuditQuery, Hikae};
use hikae_domain::fleet::{Flag, Limits, Readiness, SelfTestVerdict};
use serde_json::json;

fn configure(app: &Hikae, endpoint: &str, label: &str) {
    let text = format!(
        "[sync]\nendpoint = \"{endpoint}\"\nproduction = false\n[fleet]\nlabel = \"{label}\"\n"
    );
    std::fs::write(app.data_dir().join("config.toml"), text).expect("config");
}

fn ready(label: &str) -> Readiness {
    let now = Utc::now();
    Readiness {
        device_id: format!("sim-{label}"),
        label: label.into(),
        at: now - Duration::minutes(3),
        app_version: env!("CARGO_PKG_VERSION").into(),
        packs: vec![("hikae-default".into(), "0.2.0".into())],
        roster_version: Some(4),
        last_sync: Some(now - Duration::hours(1)),
        outbox_depth: 0,
        oldest_unsent: None,
        last_drill: Some(now - Duration::days(20)),
        selftest_at: Some(now - Duration::hours(2)),
        selftest: Some(SelfTestVerdict::Pass),
        selftest_failing: vec![],
        disk_free_bytes: Some(20 << 30),
        clock_offset_secs: Some(0),
        snapshot_at: None,
        channel_release: None,
        channel_refused: None,
    }
}

#[test]
fn each_pc_is_one_device_however_often_it_beats_and_reports_its_own_state() {
    let server = FhirServer::start();
    let (_a_dir, mut a) = app();
    let (_b_dir, mut b) = app();
    configure(&a, &server.base(), "5E-PC1");
    configure(&b, &server.base(), "5E-PC2");
    // PC 1 has a finalized record not yet sent, and a self-test behind it
    finalized_demo(&mut a, "sbar-handover");
    let t = a.selftest().expect("selftest");
    for _ in 0..3 {
        let h = a.heartbeat().expect("heartbeat");
        assert_eq!(h.requests, 1);
        assert!(
            h.bytes_sent <= 4096,
            "a heartbeat is {} bytes",
            h.bytes_sent
        );
        assert!(h.clock_offset_secs.is_some_and(|o| o.abs() < 60), "{h:?}");
        b.heartbeat().expect("heartbeat");
    }
    assert_eq!(server.count("Device"), 2, "one Device per PC");
    assert_ne!(a.device_id().expect("id"), b.device_id().expect("id"));
    // the id is made once and kept
    assert_eq!(a.device_id().expect("id"), a.device_id().expect("id"));

    let report = a.fleet_status(&Limits::default()).expect("status");
    assert!(report.unreadable.is_empty(), "{:?}", report.unreadable);
    assert_eq!(report.rows.len(), 2);
    let pc1 = report
        .rows
        .iter()
        .find(|r| r.report.label == "5E-PC1")
        .expect("PC 1 in the report");
    assert_eq!(pc1.report.outbox_depth, 1);
    assert!(pc1.report.oldest_unsent.is_some());
    assert_eq!(
        pc1.report.selftest_at,
        Some(t.at).map(|t| {
            chrono::DateTime::parse_from_rfc3339(
                &t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .map(|x| x.with_timezone(&Utc))
            .expect("time")
        })
    );
    assert!(pc1.report.packs.iter().any(|(id, _)| id == "hikae-default"));
    // neither PC has ever run a drill: both are flagged for it
    assert!(report
        .rows
        .iter()
        .all(|r| r.flags.contains(&Flag::NoRecentDrill { days: None })));
    // each heartbeat and the report are in the audit log
    let sent = a
        .audit_entries(&AuditQuery {
            action: Some(Action::Sync),
            ..AuditQuery::default()
        })
        .expect("audit")
        .into_iter()
        .filter(|e| {
            e.event
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("fleet heartbeat: Device"))
        })
        .count();
    assert_eq!(sent, 3);
}

#[test]
fn the_report_flags_each_kind_of_unready_pc_and_lists_them_first() {
    let server = FhirServer::start();
    let (_dir, mut admin) = app();
    configure(&admin, &server.base(), "ADMIN");
    let client = admin.sync_client().expect("client");
    let now = Utc::now();
    let mut pcs = vec![ready("ok-1"), ready("ok-2")];
    let mut r = ready("unplugged");
    r.at = now - Duration::hours(30);
    pcs.push(r);
    let mut r = ready("old-pack");
    r.packs = vec![("hikae-default".into(), "0.1.0".into())];
    pcs.push(r);
    let mut r = ready("old-roster");
    r.roster_version = Some(2);
    pcs.push(r);
    let mut r = ready("stuck-outbox");
    r.outbox_depth = 5;
    r.oldest_unsent = Some(now - Duration::hours(9));
    pcs.push(r);
    let mut r = ready("no-drill");
    r.last_drill = Some(now - Duration::days(200));
    pcs.push(r);
    let mut r = ready("failing");
    r.selftest = Some(SelfTestVerdict::Fail);
    r.selftest_failing = vec!["printer".into(), "disk".into()];
    pcs.push(r);
    for p in &pcs {
        hikae_sync::fleet::heartbeat(&client, p).expect("simulated heartbeat");
    }
    // a Device someone else wrote under Hikae's identifier system, without a report: listed
    // as unreadable, not fatal
    fhir_put_device(
        &server,
        json!({"resourceType": "Device", "identifier": [{"system": hikae_sync::fleet::DEVICE_SYSTEM, "value": "broken"}],
               "extension": [{"url": format!("{}selftest", hikae_sync::fleet::EXT_BASE), "valueString": "pass"}]}),
    );

    let report = admin.fleet_status(&Limits::default()).expect("status");
    let flags = |label: &str| {
        report
            .rows
            .iter()
            .find(|r| r.report.label == label)
            .map(|r| r.flags.clone())
            .unwrap_or_else(|| panic!("{label} is in the report"))
    };
    assert!(flags("ok-1").is_empty() && flags("ok-2").is_empty());
    assert!(
        matches!(flags("unplugged")[..], [Flag::NotSeen { hours: 30 }]),
        "{:?}",
        flags("unplugged")
    );
    assert!(
        matches!(&flags("old-pack")[..], [Flag::PackBehind { has, newest, .. }] if has == "0.1.0" && newest == "0.2.0")
    );
    assert_eq!(
        flags("old-roster"),
        vec![Flag::RosterBehind {
            has: Some(2),
            newest: 4
        }]
    );
    assert_eq!(
        flags("stuck-outbox"),
        vec![Flag::UnsentOld {
            hours: 9,
            records: 5
        }]
    );
    assert_eq!(
        flags("no-drill"),
        vec![Flag::NoRecentDrill { days: Some(200) }]
    );
    assert_eq!(
        flags("failing"),
        vec![Flag::SelfTestFailing {
            checks: vec!["printer".into(), "disk".into()]
        }]
    );
    // what needs attention first: the failing self-test, then unsent records, then silence…
    let order: Vec<&str> = report
        .rows
        .iter()
        .map(|r| r.report.label.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "failing",
            "stuck-outbox",
            "unplugged",
            "old-pack",
            "old-roster",
            "no-drill",
            "ok-1",
            "ok-2"
        ]
    );
    assert_eq!(report.unreadable.len(), 1, "{:?}", report.unreadable);
    assert!(
        report.unreadable[0].contains("reportedAt"),
        "{:?}",
        report.unreadable
    );
    // the limits are the administrator's: 12 h for unsent records clears that PC
    let relaxed = hikae_app::fleet::limits(12, 24, 90).expect("limits");
    let report = admin.fleet_status(&relaxed).expect("status");
    assert!(report
        .rows
        .iter()
        .any(|r| r.report.label == "stuck-outbox" && r.flags.is_empty()));
    assert!(hikae_app::fleet::limits(0, 24, 90).is_err());
}

#[test]
fn a_heartbeat_to_a_server_that_is_down_fails_clearly_and_is_audited() {
    let (_dir, mut a) = app();
    configure(&a, "http://127.0.0.1:9", "5E-PC9");
    let e = a.heartbeat().expect_err("no server").to_string();
    assert!(e.contains("127.0.0.1:9"), "{e}");
    assert!(a.last_heartbeat_at().expect("state").is_none());
    let failed = a
        .audit_entries(&AuditQuery::default())
        .expect("audit")
        .into_iter()
        .any(|e| {
            !e.event.success
                && e.event
                    .detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with("fleet heartbeat failed"))
        });
    assert!(failed);
}

#[test]
fn the_cli_sends_a_heartbeat_and_shows_the_fleet() {
    let server = FhirServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path(), &["templates"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[sync]\nendpoint = \"{}\"\nproduction = false\n[fleet]\nlabel = \"5E-CLI\"\n",
            server.base()
        ),
    )
    .expect("config");
    let out = cli(dir.path(), &["fleet", "heartbeat"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 request"), "{}", stdout(&out));
    let out = cli(dir.path(), &["fleet", "status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("5E-CLI") && text.contains("1 PCs"), "{text}");
    let out = cli(dir.path(), &["fleet", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["rows"][0]["report"]["label"], "5E-CLI");
    // the PDF: Japanese text as printed, checked with poppler
    let pdf_dir = tempfile::tempdir().expect("tempdir");
    let pdf = pdf_dir.path().join("fleet.pdf");
    let out = cli(
        dir.path(),
        &["fleet", "status", "--pdf", pdf.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = poppler("pdftotext", &[pdf.to_str().expect("path"), "-"]);
    assert!(
        text.contains("端末の準備状況")
            && text.contains("5E-CLI")
            && text.contains("訓練の実施なし"),
        "{text}"
    );
    let out = cli(dir.path(), &["fleet", "status", "--unsent-hours", "0"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--unsent-hours 0"),
        "{}",
        stderr(&out)
    );
}

fn fhir_put_device(server: &FhirServer, d: serde_json::Value) {
    let url = format!("{}/Device/broken-device", server.base());
    let mut d = d;
    d["id"] = json!("broken-device");
    ureq::put(&url)
        .header("Content-Type", "application/fhir+json")
        .send(serde_json::to_vec(&d).expect("json").as_slice())
        .expect("the engine takes the Device");
}
