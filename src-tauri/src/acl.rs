//! Every command the shell registers is one the build manifest declares and the window's
//! capability allows, and nothing more (a command missing from either is refused at run time
//! with "not allowed by ACL", which only a click in the real app would show).

use std::collections::BTreeSet;

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .map(|i| i + start.len())
        .expect("start marker");
    let len = text[from..].find(end).expect("end marker");
    &text[from..from + len]
}

fn quoted(list: &str) -> BTreeSet<String> {
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn registered_declared_and_allowed_commands_are_the_same() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |f: &str| std::fs::read_to_string(format!("{root}/{f}")).expect(f);
    let main = read("src/main.rs");
    let registered: BTreeSet<String> = between(&main, "tauri::generate_handler![", "]")
        .split(',')
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| c.rsplit("::").next().unwrap_or(c).to_string())
        .collect();
    let declared = quoted(between(&read("build.rs"), ".commands(&[", "]"));
    let allowed: BTreeSet<String> = quoted(between(
        &read("capabilities/default.json"),
        "\"permissions\": [",
        "]",
    ))
    .into_iter()
    .filter_map(|p| p.strip_prefix("allow-").map(|c| c.replace('-', "_")))
    .collect();
    assert!(registered.len() > 40, "{registered:?}");
    assert_eq!(registered, declared, "main.rs vs build.rs");
    assert_eq!(registered, allowed, "main.rs vs capabilities/default.json");
}
