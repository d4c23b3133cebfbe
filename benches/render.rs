//! Render benchmarks: a warm in-process render of the two-page demo discharge summary, and a
//! 40-patient SBAR ward sheet, and the summary for a patient whose name needs fallback fonts. Run: `cargo bench --bench render`. See docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

use hikae_app::record::Record;
use hikae_app::Hikae;
use hikae_packs::render;

fn ward_sheet(n: usize) -> serde_json::Map<String, serde_json::Value> {
    let family = ["架空", "仮名", "見本", "例示", "試験", "試作"];
    let given = ["花子", "太郎", "一美", "和夫", "春子", "三郎", "里美", "茂"];
    let patients: Vec<_> = (0..n)
        .map(|i| {
            json!({"room": format!("{}-{}", 501 + i / 2, i % 2 + 1), "name": format!("{} {}", family[i % 6], given[i % 8]),
               "diagnosis": "肺炎（右下葉）", "status": "解熱傾向。酸素1L/分でSpO2 95%。夜間は離床センサー使用中。",
               "todo": "22時 抗菌薬点滴、翌朝 採血"})
        })
        .collect();
    json!({"shift_date": "2026/11/21", "shift": "day_to_night", "leader": "見本 さくら", "patients": patients})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn records(app: &mut Hikae) -> (Record, Record, Record) {
    let f = hikae_app::demo::fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.template == "discharge-summary")
        .expect("fixture");
    // the same summary for a patient whose name needs two fallback faces (𠮷: Noto Sans CJK
    // JP, 𪜖: IPAmj明朝)
    let mut rare = f.patient.clone();
    rare.name = "𠮷田 𪜖子".into();
    let ds_rare = app
        .new_record(&f.template, rare, &f.author, f.values.clone())
        .expect("new");
    let ds_rare = app
        .finalize(&ds_rare.id, "医師 試験 一郎")
        .expect("finalize");
    let ds = app
        .new_record(&f.template, f.patient, &f.author, f.values)
        .expect("new");
    let ds = app.finalize(&ds.id, "医師 試験 一郎").expect("finalize");
    let ward = app
        .new_record(
            "ward-handover",
            hikae_app::record::Patient {
                id: "WARD-5E".into(),
                name: "5階東病棟".into(),
            },
            "看護師",
            ward_sheet(40),
        )
        .expect("new");
    let ward = app.finalize(&ward.id, "看護師長").expect("finalize");
    (ds, ward, ds_rare)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = Hikae::open_demo(dir.path()).expect("open");
    let (ds, ward, ds_rare) = records(&mut app);
    let b_ds = app.template_of(&ds).expect("template");
    let b_ward = app.template_of(&ward).expect("template");
    let pack = &*b_ds.pack;
    let (t_ds, t_ward) = (b_ds.template(), b_ward.template());
    let pdf = render::pdf(pack, t_ds, &ds).expect("warm-up");
    eprintln!(
        "discharge summary: {} pages, {} bytes",
        pdf.pages,
        pdf.bytes.len()
    );
    let pdf = render::pdf(pack, t_ward, &ward).expect("warm-up");
    eprintln!(
        "ward sheet (40 patients): {} pages, {} bytes",
        pdf.pages,
        pdf.bytes.len()
    );

    c.bench_function("discharge_summary_pdf", |b| {
        b.iter(|| render::pdf(pack, t_ds, &ds).expect("render"))
    });
    let pdf = render::pdf(pack, t_ds, &ds_rare).expect("warm-up");
    eprintln!(
        "discharge summary, rare name: {} pages, {} bytes, substituted {:?}",
        pdf.pages,
        pdf.bytes.len(),
        pdf.substituted
    );
    c.bench_function("discharge_summary_rare_name_pdf", |b| {
        b.iter(|| render::pdf(pack, t_ds, &ds_rare).expect("render"))
    });
    c.bench_function("ward_sheet_40_pdf", |b| {
        b.iter(|| render::pdf(pack, t_ward, &ward).expect("render"))
    });
    c.bench_function("discharge_summary_html", |b| {
        b.iter(|| render::html_page(pack, t_ds, &ds).expect("render"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
