//! Sync throughput against the FHIR server's own raw rate, side by side in one run.
//!
//! `cargo bench --bench sync` (HIKAE_BENCH_SYNC_N records, default 10,000). Needs the test
//! FHIR server installed (`npm ci` in tests/fhir-server).
//! - raw: the same batch Bundles (DocumentReference + document Bundle per record, conditional
//!   creates) for all N records, prebuilt, POSTed back to back by a bare client to the empty
//!   server: what the server can take; then the server is emptied;
//! - hikae: `sync::run` from the outbox: building each record's PDF and resources, bookkeeping
//!   in the encrypted-capable store, audit entries, the network.

#[path = "../tests/support/fhir.rs"]
mod fhir_server;

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use fhir_server::FhirServer;
use serde_json::json;

fn main() {
    // `cargo test --all-targets` runs benches once without `--bench`: a small smoke run then
    let benching = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("HIKAE_BENCH_SYNC_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 10_000 } else { 30 });
    // raw sends all N, so both fill the server from empty to N (the engine slows as it grows)
    let raw_sample = n;
    let server = FhirServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = hikae_app::Hikae::open_demo(dir.path()).expect("open");
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[sync]\nendpoint = \"{}\"\nbatch_size = 25\nproduction = false\n",
            server.base()
        ),
    )
    .expect("config");
    let t = Instant::now();
    while app.test_store().outbox().expect("outbox").len() < n {
        hikae_app::demo::bulk(&mut app, 100).expect("bulk");
    }
    let queued = app.test_store().outbox().expect("outbox").len();
    eprintln!(
        "{queued} finalized records made in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // raw: prebuilt batches of the first `raw_sample` records
    let out = app.sync_preview(raw_sample).expect("preview");
    let raw_sample = out.len();
    let batches: Vec<Vec<u8>> = out
        .chunks(25)
        .map(|c| {
            let entries: Vec<_> = c.iter().flat_map(|o| o.entries.iter()).collect();
            serde_json::to_vec(
                &json!({"resourceType": "Bundle", "type": "batch", "entry": entries}),
            )
            .expect("json")
        })
        .collect();
    drop(out);
    let agent = ureq::Agent::new_with_defaults();
    let t = Instant::now();
    for b in &batches {
        let mut r = agent
            .post(format!("{}/", server.base()))
            .header("Content-Type", "application/fhir+json")
            .send(&b[..])
            .expect("post");
        assert_eq!(r.status().as_u16(), 200);
        let _ = r.body_mut().with_config().limit(1 << 30).read_to_vec();
    }
    let raw = raw_sample as f64 / t.elapsed().as_secs_f64();
    agent
        .post(format!("{}/_reset", server.base()))
        .send_empty()
        .expect("reset");

    let client = app.sync_client().expect("client");
    let cancel = AtomicBool::new(false);
    eprintln!("raw done; hikae sync starts");
    let t = Instant::now();
    let host = hikae_app::sync::Direct(std::cell::RefCell::new(&mut app));
    let o = hikae_app::sync::run(
        &host,
        &client,
        &hikae_app::sync::Options::default(),
        &cancel,
        |_| {},
    )
    .expect("sync");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(o.progress.acknowledged, queued, "{o:?}");
    assert_eq!(server.count("DocumentReference"), queued);
    let ours = queued as f64 / secs;
    println!("raw server rate:  {raw:.1} records/s ({raw_sample} records, prebuilt batches of 25)");
    println!(
        "hikae sync:       {ours:.1} records/s ({queued} records in {secs:.1} s, {} requests)",
        o.progress.requests
    );
    println!("ratio hikae/raw:  {:.2}", ours / raw);
}
