//! Property tests: the HTML subset's parser and the PDF layout take any input without
//! panicking (templates and record values are outside input). `PROPTEST_CASES` sets how many
//! cases (scripts/fuzz.sh runs long ones).

use hikae_doc::pdf::{self, PageFrame};
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig::with_cases(n)
}

/// Text made of the subset's tags, near-misses, entities and Japanese, in any order.
fn markup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "<p>",
            "</p>",
            "<h1>",
            "</h1>",
            "<h3>",
            "<table>",
            "</table>",
            "<tr>",
            "</tr>",
            "<th>",
            "<td>",
            "</td>",
            "<ul>",
            "<ol>",
            "<li>",
            "</li>",
            "</ul>",
            "<br>",
            "<br/>",
            "<strong>",
            "</strong>",
            "<em>",
            "<hr>",
            "<dl>",
            "<dt>",
            "<dd>",
            "<div class=\"kv\">",
            "<span class=\"x y\">",
            "<span onclick=\"x\">",
            "<!--",
            "-->",
            "<!DOCTYPE html>",
            "&amp;",
            "&lt;",
            "&#x20BB7;",
            "&#99999999;",
            "&bogus;",
            "<",
            ">",
            "\"",
            "'",
            "\n",
            "\u{0}",
            "\u{FEFF}",
            "〓",
            "𠮷田",
            "SpO₂",
            "ｶﾀｶﾅ",
            "①",
            "㎏",
        ])
        .prop_map(str::to_string),
        "[あ-んア-ン一-龥a-zA-Z0-9 ]{0,12}",
        ".{0,6}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

fn frame() -> PageFrame {
    PageFrame {
        header_left: "患者ID P-1　架空 花子".into(),
        header_right: "試験".into(),
        status_mark: None,
        footer_lines: vec!["footer".into()],
        watermark: None,
        large_type: false,
    }
}

proptest! {
    #![proptest_config(cases(512))]
    #[test]
    fn any_text_is_parsed_or_refused(s in ".{0,400}") {
        let _ = hikae_doc::parse(&s);
    }

    #[test]
    fn markup_like_text_is_parsed_or_refused(s in markup()) {
        let _ = hikae_doc::parse(&s);
    }
}

proptest! {
    #![proptest_config(cases(48))]
    #[test]
    fn whatever_parses_also_lays_out(s in markup()) {
        if let Ok(doc) = hikae_doc::parse(&s) {
            let pdf = pdf::render(&doc, &frame(), "props");
            if let Ok(p) = pdf {
                prop_assert!(p.pages >= 1);
            }
        }
    }
}
