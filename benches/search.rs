//! Search latency at hospital scale: p50 and p99 of 1-, 2- and 3+-character terms over
//! HIKAE_BENCH_SEARCH_N demo records (default 100,000), in-process, warm.
//!
//! `cargo bench --bench search`. The store is built once into target/bench-search-<N> and
//! reused (building 100,000 records takes a few minutes); delete that folder to rebuild.

use std::time::{Duration, Instant};

use hikae_app::Query;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    // `cargo test --all-targets` runs benches once without `--bench`: a small smoke run then
    let benching = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("HIKAE_BENCH_SEARCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 100_000 } else { 200 });
    let tmp;
    let dir = if benching {
        let d = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target")
            .join(format!("bench-search-{n}"));
        std::fs::create_dir_all(&d).expect("bench folder");
        d
    } else {
        tmp = tempfile::tempdir().expect("tempdir");
        tmp.path().to_path_buf()
    };
    let mut app = hikae_app::Hikae::open_demo(&dir).expect("open");
    let have = app
        .search(&Query {
            limit: Some(n + 1),
            ..Query::default()
        })
        .expect("count")
        .len();
    if have < n {
        // the demo records' texts as drafts (search sees drafts and finalized records alike;
        // finalizing would only add rendering time to building the store)
        let t = Instant::now();
        let fx = hikae_app::demo::fixtures().expect("fixtures");
        for i in have..n {
            let f = fx[i % fx.len()].clone();
            let p = hikae_app::record::Patient {
                id: format!("LOAD-{:06}", i + 1),
                name: f.patient.name,
            };
            app.new_record(&f.template, p, &f.author, f.values)
                .expect("record");
        }
        eprintln!("built {} records in {:.1?}", n - have, t.elapsed());
    }
    let rounds = if benching { 200 } else { 3 };
    println!("search over {n} records, {rounds} queries per term (first page, limit 50):");
    for term in ["痛", "肺炎", "転倒", "抗菌薬", "退院 肺炎", "LOAD-000123"] {
        let q = Query {
            text: Some(term.into()),
            limit: Some(50),
            ..Query::default()
        };
        let hits = app.search(&q).expect("search").len();
        let mut times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(app.search(&q).expect("search"));
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "  {term:<12} {hits:>3} hits  p50 {:>8.2?}  p99 {:>8.2?}",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    // the record list: newest first, a page of 50 and the 1,000 rows the desktop asks for
    for limit in [50, 1000] {
        let list = Query {
            limit: Some(limit),
            ..Query::default()
        };
        let mut times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(app.search(&list).expect("list"));
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "  record list, newest {limit:<5}     p50 {:>8.2?}  p99 {:>8.2?}",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    // autosave: the whole value map of one draft, one durable transaction, as the form sends
    // it after each pause in typing. Saves are 20 ms apart (untimed), so the store's
    // once-a-second WAL checkpoint runs during the measured saves, as it does while typing.
    let f = hikae_app::demo::fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.template == "discharge-summary")
        .expect("fixture");
    let draft = app
        .new_record(&f.template, f.patient.clone(), &f.author, f.values.clone())
        .expect("draft");
    let mut values = f.values.clone();
    let saves = if benching { 500 } else { 3 };
    let mut times: Vec<Duration> = (0..saves)
        .map(|i| {
            values.insert(
                "admission_reason".into(),
                serde_json::Value::String(format!("入院後経過 {i}：解熱し食事摂取良好。")),
            );
            if benching {
                std::thread::sleep(Duration::from_millis(20));
            }
            let t = Instant::now();
            std::hint::black_box(app.replace(&draft.id, values.clone()).expect("save"));
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "  autosave (replace, {saves} saves)  p50 {:>8.2?}  p99 {:>8.2?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}
