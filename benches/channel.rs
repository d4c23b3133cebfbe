//! A channel check when nothing changed, on the PC: the whole `hikae fleet update` path
//! (read the trusted state, fetch, verify the timestamp's signature, audit, keep the state),
//! over HTTP on loopback and from a drop folder, beside a bare GET of the same file (the
//! transport's floor). Aim: ≤ 1 request, ≤ 50 ms.
//!
//! `cargo bench --bench channel` (HIKAE_BENCH_CHANNEL_RUNS, default 200).

#[path = "../tests/support/static_http.rs"]
mod static_http;

use std::time::{Duration, Instant};

use hikae_app::channel::publish;

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = if benching {
        std::env::var("HIKAE_BENCH_CHANNEL_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200)
    } else {
        5
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (channel, keys) = (tmp.path().join("channel"), tmp.path().join("keys"));
    publish::init(&channel, &keys, 2).expect("init");
    let frag = tmp.path().join("ward.toml");
    std::fs::write(&frag, "[monitor]\ninterval_secs = 45\n").expect("frag");
    publish::publish(
        &channel,
        &keys,
        &publish::Request {
            config: Some(frag),
            ..Default::default()
        },
    )
    .expect("publish");
    let server = static_http::StaticServer::serve(channel.clone());
    let root = std::fs::read(channel.join("root.json")).expect("root");
    println!("channel check, nothing changed ({runs} runs each)");
    for (name, source) in [
        ("HTTP (loopback)", format!("url = \"{}\"", server.base)),
        ("drop folder", format!("folder = \"{}\"", channel.display())),
    ] {
        let dir = tempfile::tempdir().expect("pc");
        let mut app = hikae_app::Hikae::open_demo(dir.path()).expect("app");
        std::fs::write(
            dir.path().join("config.toml"),
            format!("[channel]\n{source}\n"),
        )
        .expect("config");
        app.channel_trust(&root).expect("pin");
        app.channel_check().expect("first").expect("configured");
        let mut times = Vec::with_capacity(runs);
        let mut cost = (0, 0);
        let seen = server.requests();
        for _ in 0..runs {
            let t = Instant::now();
            let c = app.channel_check().expect("check").expect("configured");
            times.push(t.elapsed());
            assert!(c.unchanged, "{c:?}");
            cost = (c.requests, c.bytes);
        }
        println!(
            "  {name:<16} p50 {}  p95 {}  max {}  | {} request(s), {} bytes",
            ms(pct(&mut times, 0.5)),
            ms(pct(&mut times, 0.95)),
            ms(pct(&mut times, 1.0)),
            cost.0,
            cost.1
        );
        if name.starts_with("HTTP") {
            println!(
                "  {:<16} the server answered {} requests for {runs} checks",
                "",
                server.requests() - seen
            );
        }
    }
    // the floor: the same GET with nothing around it
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}timestamp.json", server.base);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let mut r = agent.get(&url).call().expect("get");
        let _ = r.body_mut().read_to_vec().expect("body");
        times.push(t.elapsed());
    }
    println!(
        "  {:<16} p50 {}  p95 {}  (a bare GET of timestamp.json)",
        "floor",
        ms(pct(&mut times, 0.5)),
        ms(pct(&mut times, 0.95))
    );
}
