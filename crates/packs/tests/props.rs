//! Property tests over what a pack brings from outside: archives (any bytes, damaged real
//! ones), pack files (a template or manifest changed to anything), and form values (any JSON,
//! against every built-in form). Parsed or refused with problems, never a panic.

use std::collections::BTreeMap;

use hikae_packs::{archive, Pack};
use proptest::prelude::*;
use serde_json::Value;

fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig::with_cases(n)
}

fn builtin_files() -> archive::Files {
    static FILES: std::sync::OnceLock<archive::Files> = std::sync::OnceLock::new();
    FILES
        .get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
            archive::read_dir(&root).expect("the built-in pack's folder")
        })
        .clone()
}

fn builtin() -> &'static Pack {
    static PACK: std::sync::OnceLock<Pack> = std::sync::OnceLock::new();
    PACK.get_or_init(|| Pack::builtin().expect("builtin"))
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,24}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(cases(256))]
    #[test]
    fn any_bytes_as_an_archive_are_read_or_refused(b in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = archive::read(&b);
    }

    #[test]
    fn a_damaged_real_archive_is_read_or_refused(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = archive::build(&builtin_files()).expect("build");
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        if let Ok(files) = archive::read(&bytes) {
            let _ = Pack::from_files(&files);
        }
    }

    #[test]
    fn a_pack_file_changed_to_anything_loads_or_is_refused(
        which in any::<prop::sample::Index>(),
        text in prop_oneof![
            ".{0,200}",
            "(\\{\\{|\\}\\}|\\{%|%\\}|<p>|</p>|<td>|if |for |endif|endfor|values\\.|[a-z]| ){0,40}",
        ],
    ) {
        let mut files: BTreeMap<String, Vec<u8>> = builtin_files();
        let keys: Vec<String> = files.keys().cloned().collect();
        let k = &keys[which.index(keys.len())];
        files.insert(k.clone(), text.into_bytes());
        if let Err(problems) = Pack::from_files(&files) {
            prop_assert!(!problems.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]
    #[test]
    fn any_values_are_checked_against_every_form(
        values in prop::collection::btree_map(
            prop_oneof![
                prop::sample::select(vec![
                    "chief_complaint", "hospital_course", "discharge_meds", "situation",
                    "background", "assessment", "recommendation", "s", "o", "a", "p",
                    "admitted_on", "discharged_on", "patient_age", "allergies",
                ]).prop_map(str::to_string),
                "[a-z_]{1,12}",
            ],
            json(),
            0..10,
        ),
    ) {
        let pack = builtin();
        let values: serde_json::Map<String, Value> = values.into_iter().collect();
        for t in &pack.templates {
            let _ = t.form.check_draft(&values);
            let _ = t.form.validate(&values);
            let normal = t.form.normalize(&values);
            let _ = hikae_domain::form::search_text(&normal);
        }
    }
}
