//! Property tests: a roster file of any content is parsed or refused, never a panic, and a
//! roster that parses names only known roles.

use hikae_auth::roster::Roster;
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig::with_cases(n)
}

fn roster_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[[staff]]".to_string()),
        (
            prop::sample::select(vec![
                "hospital", "version", "id", "name", "role", "issued", "x"
            ]),
            prop_oneof![
                "\"[^\"\\\\]{0,12}\"",
                "-?[0-9]{1,22}",
                Just("\"admin\"".to_string()),
                Just("\"nurse\"".to_string()),
                Just("\"superuser\"".to_string()),
                Just("[]".to_string()),
            ]
        )
            .prop_map(|(k, v)| format!("{k} = {v}")),
        ".{0,20}",
    ];
    prop::collection::vec(line, 0..30).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(cases(512))]
    #[test]
    fn roster_text_is_parsed_or_refused(s in roster_like()) {
        if let Ok(r) = Roster::parse(&s) {
            for p in &r.staff {
                prop_assert!(!p.id.trim().is_empty());
            }
        }
    }

    #[test]
    fn any_text_is_parsed_or_refused(s in ".{0,300}") {
        let _ = Roster::parse(&s);
    }
}
