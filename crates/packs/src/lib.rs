//! Template packs: a manifest, form definitions and Tera templates, loaded from a set of files.
//!
//! The built-in default pack is compiled into the binary from `templates/`, so Hikae works
//! with nothing installed. Loading collects every problem it finds (file, line, column)
//! instead of stopping at the first. This module owns the pack layout and the Tera instance;
//! it does not render records (`render`) or know about storage.
//!
//! Layout (paths relative to the pack root):
//! `pack.toml`, `<template-id>/form.toml`, `<template-id>/record.html`,
//! `<template-id>/record.txt`, and shared includes under `_shared/`.
//!
//! Architecture Invariant: depends on `hikae-domain` and `hikae-doc` only; never on the store,
//! the auth crate or the network. A pack is data: rendering runs no code from it.

pub mod archive;
pub mod check;
pub mod install;
pub mod paper;
pub mod render;
pub mod sign;

use std::collections::BTreeMap;
use std::fmt;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use hikae_domain::form::{FormDef, L10n};
use hikae_domain::procedure::{ContactSheet, Procedure};

pub(crate) static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../templates");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub id: String,
    pub name: L10n,
    pub version: String,
    pub state: Lifecycle,
    pub min_app_version: String,
    #[serde(rename = "template")]
    pub templates: Vec<TemplateEntry>,
    #[serde(default, rename = "procedure")]
    pub procedures: Vec<ProcedureEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureEntry {
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Trial,
    Approved,
}

/// The approved scope of one template: what it may be used for, which data it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateEntry {
    pub id: String,
    pub approved_uses: Vec<String>,
    pub data_categories: Vec<String>,
    /// How records of this template are filed in the hospital's FHIR server.
    #[serde(default)]
    pub fhir: Option<FhirMap>,
    /// Which fields a record started from the ward snapshot takes, and from where.
    #[serde(default)]
    pub prefill: std::collections::BTreeMap<String, hikae_domain::prefill::PrefillSource>,
    /// Which fields a new record may carry over from the patient's previous record.
    #[serde(default)]
    pub carry_forward: Option<CarryForward>,
    /// Stock phrases (定型文) per text field: `field = ["…", { text = "…", reading = "かな" }]`.
    #[serde(default)]
    pub phrases: std::collections::BTreeMap<String, Vec<PhraseDef>>,
}

/// One stock phrase; `reading` (kana) lets it be found by typing its reading or romaji.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PhraseDef {
    Text(String),
    Full {
        text: String,
        #[serde(default)]
        reading: Option<String>,
    },
}

impl PhraseDef {
    pub fn text(&self) -> &str {
        match self {
            PhraseDef::Text(t) | PhraseDef::Full { text: t, .. } => t,
        }
    }
    pub fn reading(&self) -> Option<&str> {
        match self {
            PhraseDef::Text(_) => None,
            PhraseDef::Full { reading, .. } => reading.as_deref(),
        }
    }
}

/// Longest stock phrase, in characters.
pub const MAX_PHRASE: usize = 500;

/// `[template.carry_forward]`: the fields "前回から作成" copies from the patient's latest
/// finalized record of this template (or of one of `from`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarryForward {
    pub fields: Vec<String>,
    /// Other templates of the pack whose records may be the source (same field ids).
    #[serde(default)]
    pub from: Vec<String>,
}

pub use hikae_domain::fhirmap::{FhirMap, FhirSection};

#[derive(Debug, Clone)]
pub struct Template {
    pub form: FormDef,
    pub scope: TemplateEntry,
    /// sha256 over every file this template is rendered from (form, templates, shared includes).
    pub hash: String,
    pub html_name: String,
    pub text_name: String,
}

pub struct Pack {
    pub manifest: Manifest,
    pub templates: Vec<Template>,
    pub procedures: Vec<Procedure>,
    pub contacts: ContactSheet,
    /// Drill scenarios (`procedures/drills.toml`).
    pub scenarios: Vec<hikae_domain::drill::Scenario>,
    pub(crate) tera: tera::Tera,
}

impl fmt::Debug for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pack")
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

/// One problem in a pack, located as precisely as possible.
#[derive(Debug, Clone, PartialEq)]
pub struct PackProblem {
    pub file: String,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
}

impl fmt::Display for PackProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.col {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

pub(crate) fn problem(file: &str, message: impl Into<String>) -> PackProblem {
    PackProblem {
        file: file.to_string(),
        line: None,
        col: None,
        message: message.into(),
    }
}

/// The line of `field = …` in the `[template.prefill]` of template `id` in pack.toml.
fn prefill_line(src: &str, id: &str, field: &str) -> Option<usize> {
    section_line(src, id, "[template.prefill]", field)
}

/// The line of `key = …` in `section` (e.g. `[template.phrases]`) of template `id`.
fn section_line(src: &str, id: &str, section: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let start = lines.iter().position(|l| {
        let l = l.replace(' ', "");
        l == format!("id=\"{id}\"")
    })?;
    let mut in_section = false;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        let t = l.trim();
        if t == "[[template]]" {
            return None;
        }
        if t.starts_with('[') && !t.starts_with("[\"") {
            in_section = t == section;
            continue;
        }
        if in_section && t.split('=').next().map(str::trim) == Some(key) {
            return Some(i + 1);
        }
    }
    None
}

fn toml_problem(file: &str, src: &str, e: &toml::de::Error) -> PackProblem {
    let (line, col) = match e.span() {
        Some(span) => {
            let before = &src[..span.start.min(src.len())];
            (
                Some(before.matches('\n').count() + 1),
                Some(before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1),
            )
        }
        None => (None, None),
    };
    PackProblem {
        file: file.to_string(),
        line,
        col,
        message: e.message().to_string(),
    }
}

/// Earlier versions of the built-in pack (`templates/` is the current one). A version is
/// archived here, byte for byte as it shipped, whenever a new one changes a template.
const BUILTIN_HISTORY: &[(&str, &[u8])] = &[(
    "0.1.0",
    include_bytes!("../../../data/builtin/hikae-default-0.1.0.hikaepack"),
)];

impl Pack {
    /// The default pack compiled into this binary.
    /// An earlier version of the built-in pack, as it shipped (`data/builtin/`, compiled in),
    /// so that records made with it still resolve to the files they were made with.
    pub fn builtin_earlier(version: &str) -> Option<Result<Pack, Vec<PackProblem>>> {
        let (_, bytes) = BUILTIN_HISTORY.iter().find(|(v, _)| *v == version)?;
        Some(archive::read(bytes).and_then(|files| Pack::from_files(&files)))
    }

    pub fn builtin() -> Result<Pack, Vec<PackProblem>> {
        let mut files = BTreeMap::new();
        collect_builtin(&BUILTIN, &mut files);
        Pack::from_files(&files)
    }

    /// Loads a pack from its files (relative path → content), reporting every problem.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Result<Pack, Vec<PackProblem>> {
        let mut problems = Vec::new();
        let mut text: BTreeMap<&str, &str> = BTreeMap::new();
        for (path, bytes) in files {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    text.insert(path.as_str(), s);
                }
                Err(e) => problems.push(problem(
                    path,
                    format!("not UTF-8 text (byte {})", e.valid_up_to()),
                )),
            }
        }
        let Some(manifest_src) = text.get("pack.toml") else {
            problems.push(problem("pack.toml", "missing: every pack needs a manifest"));
            return Err(problems);
        };
        let manifest: Manifest = match toml::from_str(manifest_src) {
            Ok(m) => m,
            Err(e) => {
                problems.push(toml_problem("pack.toml", manifest_src, &e));
                return Err(problems);
            }
        };

        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html"]);
        let sources: Vec<(&str, &str)> = text
            .iter()
            .filter(|(p, _)| p.ends_with(".html") || p.ends_with(".txt"))
            .map(|(p, s)| (*p, *s))
            .collect();
        if let Err(e) = tera.add_raw_templates(sources.clone()) {
            // add_raw_templates stops at the first error: retry one by one to report them all
            let mut any = false;
            for (name, src) in &sources {
                let mut single = tera::Tera::new();
                if let Err(e) = single.add_raw_template(name, src) {
                    if !e.to_string().contains("not found") {
                        problems.push(problem(name, e.to_string()));
                        any = true;
                    }
                }
            }
            if !any {
                problems.push(problem("(templates)", e.to_string()));
            }
        }

        let shared: Vec<(&str, &str)> = text
            .iter()
            .filter(|(p, _)| p.starts_with("_shared/"))
            .map(|(p, s)| (*p, *s))
            .collect();
        let mut templates = Vec::new();
        for entry in &manifest.templates {
            let form_path = format!("{}/form.toml", entry.id);
            let html_name = format!("{}/record.html", entry.id);
            let text_name = format!("{}/record.txt", entry.id);
            for needed in [&html_name, &text_name] {
                if !text.contains_key(needed.as_str()) {
                    problems.push(problem(needed, "missing"));
                }
            }
            let Some(form_src) = text.get(form_path.as_str()) else {
                problems.push(problem(
                    &form_path,
                    format!("missing: pack.toml lists template '{}'", entry.id),
                ));
                continue;
            };
            let form: FormDef = match toml::from_str(form_src) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(toml_problem(&form_path, form_src, &e));
                    continue;
                }
            };
            if form.id != entry.id {
                problems.push(problem(
                    &form_path,
                    format!("id = \"{}\" but the folder is '{}'", form.id, entry.id),
                ));
            }
            for p in form.definition_problems() {
                problems.push(problem(&form_path, p));
            }
            if let Some(map) = &entry.fhir {
                for p in hikae_domain::fhirmap::map_problems(map, &form) {
                    problems.push(problem(
                        "pack.toml",
                        format!("[template.fhir] of '{}': {p}", entry.id),
                    ));
                }
            }
            if let Some(c) = &entry.carry_forward {
                for f in &c.fields {
                    match form.field(f) {
                        None => problems.push(problem(
                            "pack.toml",
                            format!("[template.carry_forward] of '{}': '{f}': no such field in the form", entry.id),
                        )),
                        Some(d) if d.kind == hikae_domain::form::FieldType::Datetime
                            || d.kind == hikae_domain::form::FieldType::Date =>
                        {
                            problems.push(problem(
                                "pack.toml",
                                format!("[template.carry_forward] of '{}': '{f}' is a date: a date is never carried (it would be yesterday's)", entry.id),
                            ))
                        }
                        Some(_) => {}
                    }
                }
                for t in &c.from {
                    if !manifest.templates.iter().any(|x| &x.id == t) {
                        problems.push(problem(
                            "pack.toml",
                            format!("[template.carry_forward] of '{}': from '{t}': no such template in the pack", entry.id),
                        ));
                    }
                }
            }
            for (field, list) in &entry.phrases {
                let line = section_line(manifest_src, &entry.id, "[template.phrases]", field);
                let mut say = |m: String| {
                    problems.push(PackProblem {
                        file: "pack.toml".into(),
                        line,
                        col: None,
                        message: format!("[template.phrases] of '{}': {m}", entry.id),
                    })
                };
                match form.field(field).map(|d| d.kind) {
                    None => say(format!("'{field}': no such field in the form")),
                    Some(
                        hikae_domain::form::FieldType::Text
                        | hikae_domain::form::FieldType::Multiline,
                    ) => {}
                    Some(k) => say(format!(
                        "'{field}': phrases go into text fields, not a {k:?} field"
                    )),
                }
                for (i, p) in list.iter().enumerate() {
                    let n = p.text().chars().count();
                    if p.text().trim().is_empty() {
                        say(format!("{field}[{}]: an empty phrase", i + 1));
                    } else if n > MAX_PHRASE {
                        say(format!(
                            "{field}[{}]: {n} characters; at most {MAX_PHRASE}",
                            i + 1
                        ));
                    }
                }
            }
            for (field, source) in &entry.prefill {
                if let Some(p) = hikae_domain::prefill::problem(&form, field, source) {
                    problems.push(PackProblem {
                        file: "pack.toml".into(),
                        line: prefill_line(manifest_src, &entry.id, field),
                        col: None,
                        message: format!("[template.prefill] of '{}': {p}", entry.id),
                    });
                }
            }
            let mut h = Sha256::new();
            for (name, src) in [(form_path.as_str(), *form_src)]
                .into_iter()
                .chain(
                    [html_name.as_str(), text_name.as_str()]
                        .into_iter()
                        .filter_map(|n| text.get(n).map(|s| (n, *s))),
                )
                .chain(shared.iter().copied())
            {
                h.update(name.as_bytes());
                h.update([0]);
                h.update(src.as_bytes());
                h.update([0]);
            }
            let hash = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            templates.push(Template {
                form,
                scope: entry.clone(),
                hash,
                html_name,
                text_name,
            });
        }
        if manifest.templates.is_empty() {
            problems.push(problem("pack.toml", "lists no [[template]]"));
        }
        let contacts: ContactSheet = match text.get("procedures/contacts.toml") {
            None => ContactSheet::default(),
            Some(src) => toml::from_str(src).unwrap_or_else(|e| {
                problems.push(toml_problem("procedures/contacts.toml", src, &e));
                ContactSheet::default()
            }),
        };
        let mut procedures = Vec::new();
        for entry in &manifest.procedures {
            let path = format!("procedures/{}.toml", entry.id);
            let Some(src) = text.get(path.as_str()) else {
                problems.push(problem(
                    &path,
                    format!("missing: pack.toml lists procedure '{}'", entry.id),
                ));
                continue;
            };
            match toml::from_str::<Procedure>(src) {
                Ok(p) => {
                    if p.id != entry.id {
                        problems.push(problem(
                            &path,
                            format!("id = \"{}\" but the file is '{}'", p.id, entry.id),
                        ));
                    }
                    problems.extend(p.problems(&contacts).into_iter().map(|m| problem(&path, m)));
                    procedures.push(p);
                }
                Err(e) => problems.push(toml_problem(&path, src, &e)),
            }
        }
        let scenarios = match text.get("procedures/drills.toml") {
            None => Vec::new(),
            Some(src) => match toml::from_str::<hikae_domain::drill::Scenarios>(src) {
                Ok(s) => {
                    for (i, sc) in s.scenarios.iter().enumerate() {
                        if s.scenarios[..i].iter().any(|o| o.id == sc.id) {
                            problems.push(problem(
                                "procedures/drills.toml",
                                format!("scenario '{}' appears twice", sc.id),
                            ));
                        }
                        problems.extend(
                            sc.problems(&procedures)
                                .into_iter()
                                .map(|m| problem("procedures/drills.toml", m)),
                        );
                    }
                    s.scenarios
                }
                Err(e) => {
                    problems.push(toml_problem("procedures/drills.toml", src, &e));
                    Vec::new()
                }
            },
        };
        if problems.is_empty() {
            Ok(Pack {
                manifest,
                templates,
                procedures,
                contacts,
                scenarios,
                tera,
            })
        } else {
            Err(problems)
        }
    }

    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.form.id == id)
    }
}

pub(crate) fn collect_builtin(dir: &Dir<'static>, out: &mut BTreeMap<String, Vec<u8>>) {
    for f in dir.files() {
        out.insert(
            f.path().to_string_lossy().replace('\\', "/"),
            f.contents().to_vec(),
        );
    }
    for d in dir.dirs() {
        collect_builtin(d, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(p, s)| (p.to_string(), s.as_bytes().to_vec()))
            .collect()
    }

    const MANIFEST: &str = "id = \"p\"\nname = { ja = \"テスト\" }\nversion = \"1.0.0\"\nstate = \"approved\"\nmin_app_version = \"0.1.0\"\n[[template]]\nid = \"a\"\napproved_uses = [\"x\"]\ndata_categories = [\"y\"]\n";
    const FORM: &str = "id = \"a\"\nversion = \"1\"\ntitle = { ja = \"A\" }\n[[fields]]\nid = \"f\"\nlabel = { ja = \"F\" }\ntype = \"text\"\n";

    #[test]
    fn builtin_pack_loads() {
        let pack = Pack::builtin()
            .map_err(|p| {
                p.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .expect("builtin pack");
        for id in [
            "discharge-summary",
            "sbar-handover",
            "ward-handover",
            "patient-explanation",
        ] {
            assert!(pack.template(id).is_some(), "{id} missing");
        }
    }

    #[test]
    fn every_problem_is_reported_with_position() {
        let bad_form = "id = \"a\"\nversion = \"1\"\ntitle = { ja = \"A\" }\n[[fields]]\nid = \"f\"\nlabel = { ja = \"F\" }\ntype = \"txt\"\n";
        let err = Pack::from_files(&files(&[
            ("pack.toml", MANIFEST),
            ("a/form.toml", bad_form),
            ("a/record.html", "<p>{{ v.f </p>"),
            ("a/record.txt", "{% if %}"),
        ]))
        .expect_err("broken pack");
        let text: Vec<String> = err.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|t| t.starts_with("a/form.toml:7:8")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("a/record.html")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("a/record.txt")),
            "{text:?}"
        );
    }

    #[test]
    fn unknown_filters_are_rejected_at_load() {
        let err = Pack::from_files(&files(&[
            ("pack.toml", MANIFEST),
            ("a/form.toml", FORM),
            ("a/record.html", "<p>{{ v.f | no_such_filter }}</p>"),
            ("a/record.txt", "{{ v.f }}"),
        ]))
        .expect_err("unknown filter");
        assert!(
            err.iter()
                .any(|p| p.file == "a/record.html" && p.message.contains("no_such_filter")),
            "{err:?}"
        );
    }
}
