//! Printed records checked with poppler: text extractable, fonts embedded and subset,
//! page count, the patient header and "n / N" on every page, tables split across pages,
//! kinsoku, and no silent boxes for characters the font lacks.

mod common;

use common::*;
use hikae_app::SUBSTITUTE;
use hikae_packs::render;
use serde_json::json;

#[test]
fn discharge_summary_pdf_has_japanese_text_subset_fonts_and_headers() {
    let (dir, mut app) = app();
    let rec = finalized_demo(&mut app, "discharge-summary");
    let pdf = app.pdf(&rec.id).expect("render");
    assert!(pdf.substituted.is_empty());
    let path = write_pdf(dir.path(), "ds.pdf", &pdf.bytes);
    assert_eq!(pdf_pages(&path), pdf.pages);
    assert_eq!(pdf.pages, 2, "the demo summary is a two-page document");

    let fonts = poppler("pdffonts", &[path.to_str().expect("path")]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(
        rows.len(),
        1,
        "one embedded font; bold is synthesized: {fonts}"
    );
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type... emb sub uni: the three yes/no columns before the object id
        let n = cols.len();
        assert!(
            cols[0].contains("+BIZUDPGothic"),
            "subset prefix and family: {row}"
        );
        assert_eq!(
            &cols[n - 5..n - 2],
            &["yes", "yes", "yes"],
            "embedded, subset, unicode: {row}"
        );
    }
    assert!(
        pdf.bytes.len() < 400_000,
        "subset fonts keep the file small: {} bytes",
        pdf.bytes.len()
    );

    let all = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    for needle in [
        "退院時サマリー",
        "入院時主訴",
        "セフトリアキソン",
        "レボフロキサシン錠 500mg",
        "退院後の方針・指示",
        "ダウンタイム時作成",
    ] {
        assert!(all.contains(needle), "pdftotext lacks {needle}");
    }
    for page in 1..=pdf.pages {
        let t = pdf_page_text(&path, page);
        assert!(
            t.contains("患者ID DEMO-000101") && t.contains("架空 花子"),
            "page {page} header: {t}"
        );
        assert!(
            t.contains(&format!("{page} / {}", pdf.pages)),
            "page {page} number"
        );
        assert!(t.contains("電子カルテへの取込が必要"), "page {page} footer");
        assert!(
            t.contains("hikae-default 0.2.0"),
            "page {page} names the template version"
        );
    }
}

fn ward_sheet(n: usize) -> serde_json::Value {
    let family = ["架空", "仮名", "見本", "例示", "試験", "試作"];
    let given = ["花子", "太郎", "一美", "和夫", "春子", "三郎", "里美", "茂"];
    let patients: Vec<_> = (0..n)
        .map(|i| {
            json!({"room": format!("{}-{}", 501 + i / 2, i % 2 + 1), "name": format!("{} {}", family[i % 6], given[i % 8]),
               "diagnosis": "肺炎", "status": format!("患者{}：解熱傾向。酸素1L/分、SpO2 95%。夜間は離床センサー使用中。", i + 1),
               "todo": "22時 抗菌薬点滴"})
        })
        .collect();
    json!({"shift_date": "2026/11/21", "shift": "day_to_night", "leader": "見本 さくら", "patients": patients})
}

#[test]
fn a_long_table_splits_across_pages_with_its_header_repeated() {
    let (dir, mut app) = app();
    let rec = app
        .new_record(
            "ward-handover",
            patient("WARD-5E", "5階東病棟"),
            "看護師",
            values(ward_sheet(40)),
        )
        .expect("new");
    let rec = app.finalize(&rec.id, "看護師長").expect("finalize");
    let pdf = app.pdf(&rec.id).expect("render");
    let path = write_pdf(dir.path(), "ward.pdf", &pdf.bytes);
    assert!(
        pdf.pages >= 3,
        "40 patients need several pages, got {}",
        pdf.pages
    );
    let mut seen = Vec::new();
    for page in 1..=pdf.pages {
        let t = pdf_page_text(&path, page);
        assert!(
            t.contains("状態・観察点"),
            "page {page} repeats the table header"
        );
        assert!(t.contains(&format!("{page} / {}", pdf.pages)));
        for i in 1..=40 {
            if t.contains(&format!("患者{i}：")) {
                seen.push(i);
            }
        }
    }
    seen.dedup();
    assert_eq!(
        seen,
        (1..=40).collect::<Vec<_>>(),
        "every row printed once, in order"
    );
}

#[test]
fn no_printed_line_starts_with_a_closing_mark() {
    let (dir, mut app) = app();
    let long =
        "本日、患者（架空）は「胸が苦しい」と訴えた。バイタルは安定しており、経過観察とした。"
            .repeat(12);
    let rec = app
        .new_record("sbar-handover", patient("DEMO-3", "例示 春子"), "看護師", values(json!({"situation": long, "background": "肺炎（右下葉）で入院し、抗菌薬（CTRX）を投与中。「息苦しさは改善」と本人。".repeat(10)})))
        .expect("new");
    let pdf = app.pdf(&rec.id).expect("render");
    let path = write_pdf(dir.path(), "k.pdf", &pdf.bytes);
    let text = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    let mut checked = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let first = line.chars().next().expect("non-empty");
        assert!(
            !"、。」）".contains(first),
            "line starts with {first:?}: {line}"
        );
        checked += 1;
    }
    assert!(checked > 20);
}

#[test]
fn a_character_the_font_lacks_is_printed_as_geta_and_reported() {
    let (dir, mut app) = app();
    // U+E000 (private use) and U+1FA7A (stethoscope emoji) are not in BIZ UDPGothic
    let rec = app
        .new_record(
            "sbar-handover",
            patient("DEMO-4", "見本 茂"),
            "看護師",
            values(json!({"situation": "記号\u{E000}と🩺の入った記録"})),
        )
        .expect("new");
    let pdf = app.pdf(&rec.id).expect("render");
    assert_eq!(pdf.substituted, vec!['\u{E000}', '🩺']);
    // the form is told which field, before anything is printed
    let bound = app.template_of(&rec).expect("template");
    let warn = hikae_app::unprintable(&bound.template().form, &rec.values);
    assert_eq!(warn.len(), 1, "{warn:?}");
    assert_eq!(warn[0].path, "situation");
    assert_eq!(warn[0].chars, vec!['\u{E000}', '🩺']);
    let path = write_pdf(dir.path(), "g.pdf", &pdf.bytes);
    let text = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    assert!(
        text.contains(&format!("記号{SUBSTITUTE}と{SUBSTITUTE}の入った記録")),
        "{text}"
    );
    // and the CLI warns
    drop(app);
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = cli(
        dir.path(),
        &[
            "render",
            &rec.id,
            "--pdf",
            out_dir.path().join("c.pdf").to_str().expect("p"),
        ],
    );
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("U+E000") && stderr(&out).contains("〓"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn drafts_are_marked_on_paper() {
    let (dir, mut app) = app();
    let f = demo_fixture("sbar-handover");
    let rec = app
        .new_record(&f.template, f.patient, &f.author, f.values)
        .expect("new");
    let path = write_pdf(dir.path(), "d.pdf", &app.pdf(&rec.id).expect("pdf").bytes);
    let t = pdf_page_text(&path, 1);
    assert!(t.contains("下書き（未確定）"), "{t}");
    let rec = app.finalize(&rec.id, "看護師").expect("finalize");
    let path = write_pdf(dir.path(), "f.pdf", &app.pdf(&rec.id).expect("pdf").bytes);
    let t = pdf_page_text(&path, 1);
    assert!(!t.contains("下書き"), "{t}");
    assert!(t.contains("最終確認者: 看護師"), "{t}");
}

#[test]
fn every_builtin_template_renders_empty_and_full() {
    let (_dir, mut app) = app();
    for f in hikae_app::demo::fixtures().expect("fixtures") {
        let empty = app
            .new_record(&f.template, f.patient.clone(), "x", values(json!({})))
            .expect("empty draft");
        let full = app
            .new_record(&f.template, f.patient.clone(), "x", f.values.clone())
            .expect("full draft");
        for rec in [&empty, &full] {
            let b = app.template_of(rec).expect("template");
            let (pack, t) = (&b.pack, b.template());
            let html = render::html_fragment(pack, t, rec).expect("html");
            hikae_doc::parse(&html).expect("html stays inside the printable subset");
            let text = render::text(pack, t, rec).expect("text");
            assert!(
                text.contains(&rec.patient.name) || f.template == "ward-handover",
                "{}: text names the patient",
                f.template
            );
            let pdf = app.pdf(&rec.id).expect("pdf");
            assert!(pdf.pages >= 1 && pdf.substituted.is_empty());
        }
    }
}

/// Characters from several sources that the bundled font lacks or that are easy to lose:
/// JIS X 0213 plane 2 and 文字情報基盤 name characters, IBM extensions, circled and unit
/// symbols, sub/superscripts, half-width kana, and Unicode extension B characters only
/// IPAmj明朝 has (𠀀𠀁, 𪜖).
const HARD_TEXT: &str =
    "𠮷田 槗本 𠀀𠀁𪜖 髙橋 﨑山 𠀋𡈽𡌛 纊褜鍈銈 ⅰⅱⅲ ￢∵ ①⑳㉑ ㍻㎏㎡№℡ SpO₂ H₂O m² x³ ｱｲｳｴｵﾞﾟ";

#[test]
fn every_character_prints_as_itself_through_the_fallback_chain() {
    let (dir, mut app) = app();
    let rec = app
        .new_record(
            "sbar-handover",
            patient("DEMO-5", "𠮷田 槗子"),
            "看護師",
            values(json!({"situation": HARD_TEXT})),
        )
        .expect("new");
    let pdf = app.pdf(&rec.id).expect("render");
    assert!(pdf.substituted.is_empty(), "{:?}", pdf.substituted);
    let path = write_pdf(dir.path(), "hard.pdf", &pdf.bytes);
    let text = poppler("pdftotext", &[path.to_str().expect("path"), "-"]);
    assert!(
        text.contains("𠮷田 槗子"),
        "the patient's name in the header: {text}"
    );
    for word in HARD_TEXT.split(' ') {
        assert!(text.contains(word), "pdftotext lacks {word}: {text}");
    }
    let fonts = poppler("pdffonts", &[path.to_str().expect("path")]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 3, "fallback faces are embedded: {fonts}");
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{row}");
    }
    for family in [
        "+BIZUDPGothic",
        "+NotoSansCJKjp",
        "+IPAmjMincho",
        "+DejaVuSans",
    ] {
        assert!(fonts.contains(family), "{family} in {fonts}");
    }
    assert!(
        pdf.bytes.len() < 150_000,
        "each face is a subset: {} bytes",
        pdf.bytes.len()
    );
}

#[test]
fn all_of_jis_x_0213_prints_but_two_symbols_no_installed_font_has() {
    let all: String = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/jisx0213.txt"),
    )
    .expect("tests/data/jisx0213.txt")
    .lines()
    .collect();
    assert!(all.chars().count() > 14_000);
    let missing = hikae_doc::pdf::missing_glyphs(&all).expect("fonts");
    // ⦅⦆ (U+2985/6, white parentheses) are in no font Debian packages for Japanese
    assert_eq!(missing, vec!['⦅', '⦆'], "{missing:?}");

    // and the whole repertoire goes through one PDF and back out as text
    let doc = hikae_doc::Document {
        blocks: vec![hikae_doc::Block::Paragraph {
            text: hikae_doc::Inline::plain(&all),
            note: false,
        }],
    };
    let pdf = hikae_doc::pdf::render(&doc, &hikae_doc::pdf::PageFrame::default(), "JIS X 0213")
        .expect("render");
    assert_eq!(pdf.substituted, vec!['⦅', '⦆']);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_pdf(dir.path(), "jis.pdf", &pdf.bytes);
    let text: String = poppler("pdftotext", &[path.to_str().expect("path"), "-"])
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{c}')
        // page numbers ("3 / 8") are the only ASCII on the pages
        .filter(|c| !c.is_ascii_digit() && *c != '/')
        .collect();
    let expect: String = all
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_digit() && *c != '/')
        .map(|c| if missing.contains(&c) { SUBSTITUTE } else { c })
        .collect();
    let (got, want): (Vec<char>, Vec<char>) = (text.chars().collect(), expect.chars().collect());
    let first_diff = got.iter().zip(&want).position(|(a, b)| a != b);
    assert!(
        first_diff.is_none() && got.len() == want.len(),
        "round trip differs at {first_diff:?} (got {} chars, want {})",
        got.len(),
        want.len()
    );
}

/// Word boxes of each page, as `pdftotext -bbox` gives them: (yMin, yMax, text).
fn word_boxes(path: &std::path::Path) -> Vec<Vec<(f32, f32, String)>> {
    let html = poppler("pdftotext", &["-bbox", path.to_str().expect("path"), "-"]);
    let attr = |tag: &str, name: &str| -> f32 {
        let k = format!("{name}=\"");
        let i = tag.find(&k).expect("attribute") + k.len();
        let j = tag[i..].find('"').expect("quote") + i;
        tag[i..j].parse().expect("number")
    };
    let mut pages = Vec::new();
    for page in html.split("<page ").skip(1) {
        let mut words = Vec::new();
        for w in page.split("<word ").skip(1) {
            let (tag, rest) = w.split_once('>').expect("word tag");
            let text = rest.split("</word>").next().unwrap_or_default().to_string();
            words.push((attr(tag, "yMin"), attr(tag, "yMax"), text));
        }
        pages.push(words);
    }
    pages
}

#[test]
fn a_long_footer_grows_upward_and_stays_on_the_printable_sheet() {
    // body lines are い…, footer lines あ…: each wraps at the content width
    let body: Vec<hikae_doc::Block> = (0..90)
        .map(|i| hikae_doc::Block::Paragraph {
            text: hikae_doc::Inline::plain(&format!("本文{i:02}{}", "い".repeat(30))),
            note: false,
        })
        .collect();
    let doc = hikae_doc::Document { blocks: body };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bottoms = Vec::new();
    for n in [1usize, 2, 5] {
        // the same text, 80 characters a line: two printed lines each after the first
        let footer_lines: Vec<String> = (0..n)
            .map(|i| format!("脚注{i}{}", "あ".repeat(if i == 0 { 20 } else { 78 })))
            .collect();
        let printed = 1 + 2 * (n - 1);
        let frame = hikae_doc::pdf::PageFrame {
            header_left: "患者ID 90000001　架空 花子".into(),
            header_right: "試験".into(),
            footer_lines: footer_lines.clone(),
            ..Default::default()
        };
        let pdf = hikae_doc::pdf::render(&doc, &frame, "footer").expect("render");
        let path = write_pdf(dir.path(), &format!("f{n}.pdf"), &pdf.bytes);
        let pages = word_boxes(&path);
        assert_eq!(pages.len(), pdf.pages);
        for (p, words) in pages.iter().enumerate() {
            let footer: Vec<_> = words
                .iter()
                .filter(|w| w.2.contains(['あ', '脚']))
                .collect();
            let body: Vec<_> = words
                .iter()
                .filter(|w| w.2.contains(['い', '本']))
                .collect();
            let lines = {
                let mut ys: Vec<i32> = footer.iter().map(|w| w.0.round() as i32).collect();
                ys.dedup();
                ys.len()
            };
            assert_eq!(lines, printed, "{n} footer lines: page {}", p + 1);
            let text: String = footer.iter().map(|w| w.2.as_str()).collect();
            assert_eq!(
                text,
                footer_lines.concat(),
                "the whole footer on page {}",
                p + 1
            );
            // the last line is well inside the sheet (printers cannot print its last ~4 mm)
            let lowest = footer.iter().map(|w| w.1).fold(0.0, f32::max);
            assert!(
                lowest <= 841.89 - 14.0,
                "{n} lines: footer reaches {lowest}"
            );
            // and the body never runs into it
            let top = footer.iter().map(|w| w.0).fold(f32::MAX, f32::min);
            let body_end = body.iter().map(|w| w.1).fold(0.0, f32::max);
            assert!(
                body_end + 8.0 < top,
                "{n} lines: body to {body_end}, footer from {top}"
            );
            if p == 0 {
                bottoms.push(body_end);
            }
        }
    }
    // up to three printed lines the page is as before; nine take room from the body
    assert!((bottoms[0] - bottoms[1]).abs() < 0.5, "{bottoms:?}");
    assert!(bottoms[2] < bottoms[1], "{bottoms:?}");
}
