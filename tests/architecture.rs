//! The crate graph is the architecture: each crate may depend only on the crates that
//! ARCHITECTURE.md allows (its "allowed dependencies" table), and the graph has no cycles.
//! Read from `cargo metadata`, so a forbidden dependency fails here even before anyone
//! writes the `use` that needs it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The table between the `allowed-deps` markers: `crate: dep dep …` per line.
fn allowed() -> Graph {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text
        .find("<!-- allowed-deps -->")
        .expect("ARCHITECTURE.md has an <!-- allowed-deps --> table");
    let end = text[start..]
        .find("<!-- /allowed-deps -->")
        .expect("the allowed-deps table is closed")
        + start;
    let mut g = Graph::new();
    for line in text[start..end].lines() {
        let line = line.trim();
        let Some((name, deps)) = line.split_once(':') else {
            continue;
        };
        if name.contains(' ') || name.starts_with('<') || name.starts_with('`') {
            continue;
        }
        g.insert(
            name.to_string(),
            deps.split_whitespace().map(str::to_string).collect(),
        );
    }
    assert!(
        g.len() > 5,
        "the allowed-deps table could not be read: {g:?}"
    );
    g
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata gives JSON")
}

/// Each workspace package and the workspace packages it depends on (normal and build
/// dependencies: what ships; dev-dependencies are the tests' business).
fn actual(meta: &Value) -> Graph {
    let packages = meta["packages"].as_array().expect("packages");
    let names: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let mut g = Graph::new();
    for p in packages {
        let name = p["name"].as_str().expect("name").to_string();
        let deps = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].as_str() != Some("dev"))
            .filter_map(|d| d["name"].as_str())
            .filter(|d| names.contains(*d))
            .map(str::to_string)
            .collect();
        g.insert(name, deps);
    }
    g
}

/// What is wrong with `actual` against `allowed` (empty: fine).
fn violations(actual: &Graph, allowed: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (name, deps) in actual {
        let Some(ok) = allowed.get(name) else {
            out.push(format!(
                "{name} is not in ARCHITECTURE.md's allowed-deps table: add it with what it may depend on"
            ));
            continue;
        };
        for d in deps.difference(ok) {
            out.push(format!("{name} must not depend on {d} (ARCHITECTURE.md)"));
        }
    }
    if let Some(cycle) = find_cycle(actual) {
        out.push(format!("dependency cycle: {}", cycle.join(" → ")));
    }
    out
}

fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_crate_graph_is_the_one_architecture_md_allows() {
    let allowed = allowed();
    assert_eq!(
        find_cycle(&allowed),
        None,
        "the allowed graph itself has a cycle"
    );
    let actual = actual(&metadata());
    for shell in ["hikae", "hikae-desktop"] {
        assert!(actual.contains_key(shell), "{shell} is a workspace package");
    }
    let v = violations(&actual, &allowed);
    assert!(v.is_empty(), "{}", v.join("\n"));
}

#[test]
fn the_check_refuses_a_forbidden_dependency_and_a_cycle() {
    let allowed = allowed();
    let meta = metadata();
    // the desktop shell reaching past the app into the store, as a `use hikae_store::Store`
    // would need
    let mut g = actual(&meta);
    g.get_mut("hikae-desktop")
        .expect("hikae-desktop")
        .insert("hikae-store".into());
    let v = violations(&g, &allowed);
    assert_eq!(
        v,
        vec!["hikae-desktop must not depend on hikae-store (ARCHITECTURE.md)".to_string()]
    );
    // the document crate learning about records
    let mut g = actual(&meta);
    g.get_mut("hikae-doc")
        .expect("hikae-doc")
        .insert("hikae-domain".into());
    assert_eq!(
        violations(&g, &allowed),
        vec!["hikae-doc must not depend on hikae-domain (ARCHITECTURE.md)".to_string()]
    );
    // the domain reaching up into the store, which uses it: forbidden, and a cycle
    let mut g = actual(&meta);
    g.get_mut("hikae-domain")
        .expect("hikae-domain")
        .insert("hikae-store".into());
    let v = violations(&g, &allowed);
    assert!(
        v.contains(&"hikae-domain must not depend on hikae-store (ARCHITECTURE.md)".to_string()),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|l| l.starts_with("dependency cycle: ") && l.contains("hikae-store")),
        "{v:?}"
    );
    // a new crate nobody placed in the map
    let mut g = actual(&meta);
    g.insert("hikae-new".into(), BTreeSet::new());
    assert!(violations(&g, &allowed)
        .iter()
        .any(|l| l.starts_with("hikae-new is not in")));
}

/// The shells reach the core through the app crate only: no `hikae_<crate>::` path other than
/// `hikae_app` appears in their sources (a re-export through the app is the way in).
#[test]
fn the_shells_name_only_the_app_crate() {
    for dir in ["crates/cli/src", "src-tauri/src"] {
        let mut stack = vec![root().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read_dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                if p.extension().is_none_or(|x| x != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&p).expect("read");
                for (i, line) in text.lines().enumerate() {
                    for (at, _) in line.match_indices("hikae_") {
                        let rest = &line[at..];
                        let word: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        let before = line[..at].chars().last();
                        let is_path = rest[word.len()..].starts_with("::")
                            && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                        assert!(
                            !is_path || word == "hikae_app",
                            "{}:{}: {word}:: — the shells use hikae_app only",
                            p.display(),
                            i + 1
                        );
                    }
                }
            }
        }
    }
}
