//! The ward snapshot against the FHIR server's own time for the same searches, side by side.
//!
//! `cargo bench --bench snapshot` (HIKAE_BENCH_SNAPSHOT_RUNS runs, default 10). Needs the test
//! FHIR server installed (`npm ci` in tests/fhir-server). Each run: a fresh store takes its
//! first snapshot of the fictional 40-bed ward, then 5 patients change on the server and it
//! refreshes incrementally. "server" is the same two batch Bundles of searches POSTed by a
//! bare client and read whole: what answering them costs the server and the loopback.

#[path = "../tests/support/fhir.rs"]
mod fhir_server;
#[path = "../tests/support/ward.rs"]
mod ward;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn post(base: &str, searches: &[String]) -> (Value, usize) {
    let entries: Vec<Value> = searches
        .iter()
        .map(|s| json!({"request": {"method": "GET", "url": s}}))
        .collect();
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
    let mut r = ureq::post(base)
        .header("Content-Type", "application/fhir+json")
        .send(serde_json::to_vec(&bundle).expect("json").as_slice())
        .expect("post");
    let text = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .expect("body");
    let n = text.len();
    (serde_json::from_str(&text).expect("json"), n)
}

/// Five patients change: each gets one more medication.
fn change_five(base: &str, run: usize) {
    let entries = (0..5)
        .map(|i| {
            json!({"request": {"method": "PUT", "url": format!("MedicationRequest/bench-{run}-{i}")},
                "resource": {"resourceType": "MedicationRequest", "id": format!("bench-{run}-{i}"),
                    "status": "active", "intent": "order", "medicationCodeableConcept": {"text": "アセトアミノフェン錠200mg"},
                    "subject": {"reference": format!("Patient/w5e-p{:02}", i * 7)},
                    "dosageInstruction": [{"text": "1回2錠 発熱時"}]}})
        })
        .collect();
    ward::seed(base, entries);
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("HIKAE_BENCH_SNAPSHOT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 10 } else { 1 });
    let server = fhir_server::FhirServer::start();
    let base = server.base();
    let (entries, beds) = ward::ward(7, 40, chrono::Utc::now());
    ward::seed(&base, entries);
    std::thread::sleep(Duration::from_millis(2100));
    let patients: Vec<&str> = beds.iter().map(|b| b.patient.as_str()).collect();
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(72);
    let doc_search = |since: Option<chrono::DateTime<chrono::Utc>>| {
        let mut s = format!(
            "DocumentReference?_tag=urn%3Ahikae%3Atag%7Cdowntime-record&date=ge{}&_count=1000",
            cutoff
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                .replace(':', "%3A")
        );
        if let Some(t) = since {
            s.push_str(&format!(
                "&_lastUpdated=gt{}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    .replace(':', "%3A")
            ));
        }
        s
    };
    let (mut h_first, mut h_inc, mut s_first, mut s_inc) = (vec![], vec![], vec![], vec![]);
    let (mut first_req, mut first_bytes, mut inc_req, mut inc_bytes, mut inc_res) = (0, 0, 0, 0, 0);
    let (mut raw_first_bytes, mut raw_inc_bytes) = (0, 0);
    for run in 0..runs {
        // Hikae: first snapshot into a fresh store, then an incremental one
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = hikae_app::Hikae::open_demo(dir.path()).expect("open");
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "[sync]\nendpoint = \"{base}\"\npatient_system = \"{}\"\nproduction = false\n[snapshot]\nwards = [\"{}\"]\noverlap_secs = 1\n",
                ward::PATIENT_SYSTEM,
                ward::WARD
            ),
        )
        .expect("config");
        let t = Instant::now();
        let r = app.refresh_snapshot().expect("first");
        h_first.push(t.elapsed());
        (first_req, first_bytes) = (r.requests, r.bytes);
        assert_eq!(r.patients, 40);
        let since = chrono::Utc::now();
        std::thread::sleep(Duration::from_millis(1100));
        change_five(&base, run);
        let t = Instant::now();
        let r = app.refresh_snapshot().expect("incremental");
        h_inc.push(t.elapsed());
        assert!(!r.full);
        (inc_req, inc_bytes, inc_res) = (r.requests, r.bytes, r.resources);

        // the server alone: the same searches, by a bare client
        let census = vec![hikae_sync::snapshot::census_search(ward::WARD)];
        let mut clinical = hikae_sync::snapshot::clinical_searches(&patients, None, cutoff);
        clinical.push(doc_search(None));
        let t = Instant::now();
        let (_, a) = post(&base, &census);
        let (_, b) = post(&base, &clinical);
        s_first.push(t.elapsed());
        raw_first_bytes = a + b;
        let mut inc = hikae_sync::snapshot::clinical_searches(
            &patients,
            Some(since - chrono::Duration::seconds(1)),
            cutoff,
        );
        inc.push(doc_search(Some(since)));
        let t = Instant::now();
        let (_, a) = post(&base, &census);
        let (_, b) = post(&base, &inc);
        s_inc.push(t.elapsed());
        raw_inc_bytes = a + b;
    }
    let (hf, hi, sf, si) = (
        median(h_first),
        median(h_inc),
        median(s_first),
        median(s_inc),
    );
    println!("ward snapshot, 40 beds, median of {runs} runs:");
    println!(
        "  first        hikae {hf:>9.2?} ({first_req} requests, {first_bytes} bytes)   server alone {sf:>9.2?} ({raw_first_bytes} bytes)   ratio {:.2}",
        hf.as_secs_f64() / sf.as_secs_f64()
    );
    println!(
        "  incremental  hikae {hi:>9.2?} ({inc_req} requests, {inc_bytes} bytes, {inc_res} resources)   server alone {si:>9.2?} ({raw_inc_bytes} bytes)   ratio {:.2}",
        hi.as_secs_f64() / si.as_secs_f64()
    );
}
