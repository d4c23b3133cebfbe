//! Property tests: config.toml and typed form inputs take any text without panicking, and a
//! config that parses is a config (no silent defaults for garbage is checked elsewhere).

use hikae_domain::config::Config;
use hikae_domain::form;
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig::with_cases(n)
}

/// TOML-shaped text with Hikae's sections and keys, values of every kind, and junk.
fn toml_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        prop::sample::select(vec![
            "[sync]",
            "[monitor]",
            "[packs]",
            "[roster]",
            "[tls]",
            "[print]",
            "[[monitor.services]]",
            "[site]",
            "[downtime]",
            "[ui]",
        ])
        .prop_map(str::to_string),
        (
            prop::sample::select(vec![
                "endpoint",
                "url",
                "batch_size",
                "production",
                "trusted_keys",
                "timeout_secs",
                "ca_file",
                "client_cert",
                "interval_secs",
                "id",
                "kind",
                "institution_no",
                "printer",
                "token_file",
                "auto_lock_minutes",
            ]),
            prop_oneof![
                Just("\"https://fhir.example.jp/r4\"".to_string()),
                Just("\"http://10.0.0.1/\"".to_string()),
                Just("true".to_string()),
                Just("-1".to_string()),
                Just("99999999999999999999".to_string()),
                Just("[\"RWQ\", 1]".to_string()),
                Just("{ a = 1 }".to_string()),
                "\"[^\"\\\\]{0,20}\"",
                "[0-9]{1,6}",
            ]
        )
            .prop_map(|(k, v)| format!("{k} = {v}")),
        ".{0,30}",
    ];
    prop::collection::vec(line, 0..25).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(cases(512))]
    #[test]
    fn config_text_is_parsed_or_refused_with_its_path(s in toml_like()) {
        if let Err(e) = Config::parse(&s, std::path::Path::new("/data/config.toml")) {
            prop_assert!(e.to_string().contains("config.toml"), "{e}");
        }
    }

    #[test]
    fn any_text_is_parsed_or_refused(s in ".{0,300}") {
        let _ = Config::parse(&s, std::path::Path::new("config.toml"));
        let _ = form::parse_number(&s);
        let _ = form::parse_bool(&s);
        let _ = form::parse_date(&s);
        let _ = form::parse_datetime(&s);
    }

    #[test]
    fn date_like_text_is_parsed_or_refused(s in "[0-9０-９/:年月日T\\- ]{0,20}") {
        let _ = form::parse_date(&s);
        let _ = form::parse_datetime(&s);
        let _ = form::parse_number(&s);
    }
}
