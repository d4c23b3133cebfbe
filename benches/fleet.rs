//! The fleet at hospital scale: N simulated ward PCs (a bounded loop on loopback, default 500)
//! send their readiness heartbeat to the test FHIR server, then the administrator's report
//! reads and judges all N, side by side with the server's own time for the same search.
//!
//! `cargo bench --bench fleet` (HIKAE_BENCH_FLEET_PCS, default 500; HIKAE_BENCH_FLEET_RUNS
//! reports, default 5). Needs the test FHIR server installed (`npm ci` in tests/fhir-server).

#[path = "../tests/support/fhir.rs"]
mod fhir_server;

use std::time::{Duration, Instant};

use chrono::Utc;
use hikae_domain::fleet::{Limits, Readiness, SelfTestVerdict};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pc(i: usize) -> Readiness {
    let now = Utc::now();
    Readiness {
        device_id: format!("bench-{i:04}"),
        label: format!(
            "{}階{}病棟 PC-{}",
            3 + i % 8,
            ["東", "西"][i % 2],
            i % 4 + 1
        ),
        at: now,
        app_version: "0.1.0".into(),
        packs: vec![(
            "hikae-default".into(),
            if i.is_multiple_of(17) {
                "0.1.0"
            } else {
                "0.2.0"
            }
            .into(),
        )],
        roster_version: Some(if i.is_multiple_of(23) { 3 } else { 4 }),
        last_sync: Some(now - chrono::Duration::minutes((i % 90) as i64)),
        outbox_depth: (i % 5) as u64,
        oldest_unsent: (!i.is_multiple_of(5))
            .then(|| now - chrono::Duration::hours((i % 7) as i64)),
        last_drill: (!i.is_multiple_of(11)).then(|| now - chrono::Duration::days((i % 120) as i64)),
        selftest_at: Some(now - chrono::Duration::hours((i % 30) as i64)),
        selftest: Some(if i.is_multiple_of(29) {
            SelfTestVerdict::Fail
        } else {
            SelfTestVerdict::Pass
        }),
        selftest_failing: if i.is_multiple_of(29) {
            vec!["printer".into()]
        } else {
            vec![]
        },
        disk_free_bytes: Some(40 << 30),
        clock_offset_secs: Some((i % 3) as i64 - 1),
        snapshot_at: None,
        channel_release: None,
        channel_refused: None,
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let pcs = if benching {
        env("HIKAE_BENCH_FLEET_PCS", 500)
    } else {
        20
    };
    let runs = if benching {
        env("HIKAE_BENCH_FLEET_RUNS", 5)
    } else {
        1
    };
    let server = fhir_server::FhirServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut admin = hikae_app::Hikae::open_demo(dir.path()).expect("app");
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[sync]\nendpoint = \"{}\"\nproduction = false\n",
            server.base()
        ),
    )
    .expect("config");
    let client = admin.sync_client().expect("client");

    // heartbeats: one request each, its bytes
    let mut beat = Vec::with_capacity(pcs);
    let mut sent = Vec::with_capacity(pcs);
    for i in 0..pcs {
        let r = pc(i);
        let t = Instant::now();
        let b = hikae_app::fleet::send(&client, &r).expect("heartbeat");
        beat.push(t.elapsed());
        sent.push(b.sent);
    }
    // a second round: still one Device per PC
    for i in 0..pcs.min(50) {
        hikae_app::fleet::send(&client, &pc(i)).expect("heartbeat again");
    }
    assert_eq!(server.count("Device"), pcs, "one Device per PC");

    // the report, against the server answering the same search to a bare client
    let search = format!(
        "{}/Device?identifier={}&_count=5000",
        server.base(),
        "urn%3Ahikae%3Adevice%7C"
    );
    let mut report = Vec::new();
    let mut raw = Vec::new();
    let mut flagged = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let mut r = ureq::get(&search).call().expect("search");
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .expect("body");
        raw.push(t.elapsed());
        assert!(body.len() > pcs * 500);
        let t = Instant::now();
        let rep = admin.fleet_status(&Limits::default()).expect("report");
        report.push(t.elapsed());
        assert_eq!(rep.rows.len(), pcs);
        flagged = rep.rows.iter().filter(|r| !r.flags.is_empty()).count();
    }
    sent.sort();
    println!(
        "fleet: {pcs} PCs; heartbeat p50 {:.1} ms, max {:.1} ms, 1 request, {}–{} bytes sent",
        median(beat.clone()).as_secs_f64() * 1e3,
        beat.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3,
        sent[0],
        sent[sent.len() - 1]
    );
    println!(
        "report of {pcs} PCs ({flagged} flagged): median {:.0} ms over {runs}; the server's own search answered to a bare client: median {:.0} ms",
        median(report).as_secs_f64() * 1e3,
        median(raw).as_secs_f64() * 1e3
    );
}
