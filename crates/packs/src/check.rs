//! `hikae pack check`: everything a ward PC would refuse, plus what an administrator should
//! know before signing — every problem at once, each with file:line:col where possible.
//!
//! Beyond loading (`Pack::from_files`): references to fields the form does not define (also
//! table columns through `for` loops), includes outside the pack, required fields never
//! shown, unused fields (warnings), characters the bundled font cannot print, and a sample
//! render of every template (filled and empty) through HTML, text and PDF.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::archive::Files;
use super::{problem, Pack, PackProblem};
use crate::render;
use hikae_domain::form::{FieldType, FormDef, Values};
use hikae_domain::record::{Patient, Provenance, Record, Status};

#[derive(Debug, Default)]
pub struct CheckReport {
    pub errors: Vec<PackProblem>,
    pub warnings: Vec<PackProblem>,
    /// (template id, pages) of the filled sample PDFs.
    pub previews: Vec<(String, usize, Vec<u8>)>,
}

fn at(file: &str, src: &str, offset: usize, message: String) -> PackProblem {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    PackProblem {
        file: file.to_string(),
        line: Some(line),
        col: Some(col),
        message,
    }
}

/// Tera tag regions `{{ … }}` and `{% … %}` as (start offset, text).
fn tags(src: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = src[i..].find('{') {
        let start = i + rel;
        let close = match src[start..].chars().nth(1) {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                i = start + 1;
                continue;
            }
        };
        let Some(end) = src[start + 2..].find(close) else {
            break;
        };
        if close != "#}" {
            out.push((start + 2, &src[start + 2..start + 2 + end]));
        }
        i = start + 2 + end + 2;
    }
    out
}

/// Identifier chains `a.b` in a tag, with the offset of `a`.
fn dotted(tag: &str) -> Vec<(usize, &str, &str)> {
    let bytes = tag.as_bytes();
    let is_id = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_str: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = in_str {
            if b == q {
                in_str = None;
            }
            i += 1;
            continue;
        }
        if b == b'"' || b == b'\'' {
            in_str = Some(b);
            i += 1;
            continue;
        }
        if (b.is_ascii_alphabetic() || b == b'_')
            && (i == 0 || !(is_id(bytes[i - 1]) || bytes[i - 1] == b'.'))
        {
            let s = i;
            while i < bytes.len() && is_id(bytes[i]) {
                i += 1;
            }
            if i + 1 < bytes.len()
                && bytes[i] == b'.'
                && (bytes[i + 1].is_ascii_alphabetic() || bytes[i + 1] == b'_')
            {
                let a = &tag[s..i];
                let t = i + 1;
                let mut e = t;
                while e < bytes.len() && is_id(bytes[e]) {
                    e += 1;
                }
                out.push((s, a, &tag[t..e]));
                i = e;
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Checks one template file's references against its form. Returns the fields it uses.
fn check_references(
    file: &str,
    src: &str,
    form: &FormDef,
    files: &Files,
    errors: &mut Vec<PackProblem>,
) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut loop_vars: BTreeMap<String, String> = BTreeMap::new();
    for (off, tag) in tags(src) {
        let words: Vec<&str> = tag.split_whitespace().collect();
        if let [kw, target, ..] = words.as_slice() {
            if matches!(*kw, "include" | "extends" | "import") {
                let name = target.trim_matches(|c| c == '"' || c == '\'');
                if name.starts_with('/')
                    || name.split('/').any(|c| c == "..")
                    || !files.contains_key(name)
                {
                    errors.push(at(
                        file,
                        src,
                        off,
                        format!("{kw} \"{name}\": only files inside the pack can be included"),
                    ));
                }
            }
        }
        // `for row in d.table` binds row to the table's columns
        if words.first() == Some(&"for") {
            if let Some(pos) = words.iter().position(|w| *w == "in") {
                if let (Some(var), Some(src_expr)) =
                    (words.get(pos.saturating_sub(1)), words.get(pos + 1))
                {
                    if let Some((_, field)) = src_expr.split_once('.') {
                        loop_vars.insert(var.trim_end_matches(',').to_string(), field.to_string());
                    }
                }
            }
        }
        for (rel, base, name) in dotted(tag) {
            match base {
                "d" | "v" | "labels" => {
                    if form.field(name).is_none() {
                        errors.push(at(
                            file,
                            src,
                            off + rel,
                            format!(
                                "'{base}.{name}': the form '{}' has no field '{name}'",
                                form.id
                            ),
                        ));
                    } else {
                        used.insert(name.to_string());
                    }
                }
                "record" | "loop" => {}
                var => {
                    if let Some(table) = loop_vars.get(var) {
                        let ok = form
                            .field(table)
                            .is_some_and(|f| f.columns.iter().any(|c| c.id == name));
                        if !ok {
                            errors.push(at(
                                file,
                                src,
                                off + rel,
                                format!("'{var}.{name}': table '{table}' has no column '{name}'"),
                            ));
                        }
                    }
                }
            }
        }
    }
    used
}

/// Values that exercise every field: text everywhere, two table rows, first options.
pub fn sample_values(form: &FormDef) -> Values {
    fn sample(f: &hikae_domain::form::FieldDef) -> Value {
        match f.kind {
            FieldType::Text => json!(format!("{}（記入例）", f.label.ja)),
            FieldType::Multiline => json!(format!("{}の記入例です。\n2行目の記入例。", f.label.ja)),
            FieldType::Date => json!("2026/11/21"),
            FieldType::Datetime => json!("2026/11/21 14:30"),
            FieldType::Number => json!(f.min.map_or("1".to_string(), |m| m.to_string())),
            FieldType::Select => json!(f
                .options
                .first()
                .map(|o| o.value.clone())
                .unwrap_or_default()),
            FieldType::Checkbox => json!(true),
            FieldType::Table => {
                let row: serde_json::Map<String, Value> = f
                    .columns
                    .iter()
                    .map(|c| (c.id.clone(), sample(c)))
                    .collect();
                json!([row.clone(), row])
            }
        }
    }
    form.fields
        .iter()
        .map(|f| (f.id.clone(), sample(f)))
        .collect()
}

fn sample_record(pack: &Pack, form: &FormDef, hash: &str, values: Values) -> Record {
    let now = chrono::Utc::now();
    Record {
        context: Default::default(),
        id: "00000000-0000-4000-8000-000000000000".into(),
        series_id: "00000000-0000-4000-8000-000000000000".into(),
        version: 1,
        supersedes: None,
        correction_reason: None,
        patient: Patient {
            id: "SAMPLE-0001".into(),
            name: "見本 花子".into(),
        },
        provenance: Provenance {
            pack_id: pack.manifest.id.clone(),
            pack_version: pack.manifest.version.clone(),
            template_id: form.id.clone(),
            template_version: form.version.clone(),
            template_hash: hash.to_string(),
        },
        status: Status::Finalized,
        author: "記入者 見本".into(),
        final_reviewer: Some("確認者 見本".into()),
        values,
        created_at: now,
        updated_at: now,
        finalized_at: Some(now),
        revision: 1,
    }
}

/// Runs every check on a pack's files.
pub fn check(files: &Files) -> CheckReport {
    let mut report = CheckReport::default();
    // characters the font cannot print, wherever they are
    for (name, bytes) in files {
        let Ok(src) = std::str::from_utf8(bytes) else {
            continue;
        };
        if !(name.ends_with(".toml") || name.ends_with(".html") || name.ends_with(".txt")) {
            continue;
        }
        let Ok(missing) = hikae_doc::pdf::missing_glyphs(src) else {
            continue;
        };
        for c in missing {
            if let Some(off) = src.find(c) {
                report.errors.push(at(
                    name,
                    src,
                    off,
                    format!(
                        "{c:?} (U+{:04X}) is not in the bundled font and would print as 〓",
                        c as u32
                    ),
                ));
            }
        }
    }
    let pack = match Pack::from_files(files) {
        Ok(p) => p,
        Err(problems) => {
            report.errors.extend(problems);
            return report;
        }
    };
    for t in &pack.templates {
        let mut shown = BTreeSet::new();
        let mut anywhere = BTreeSet::new();
        for name in [&t.html_name, &t.text_name] {
            let Some(src) = files
                .get(name.as_str())
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                continue;
            };
            let used = check_references(name, src, &t.form, files, &mut report.errors);
            if name == &t.html_name {
                shown.extend(used.iter().cloned());
            }
            anywhere.extend(used);
        }
        for f in &t.form.fields {
            if f.required && !shown.contains(&f.id) {
                report.errors.push(problem(
                    &t.html_name,
                    format!("required field '{}' ({}) is never shown", f.id, f.label.ja),
                ));
            } else if !anywhere.contains(&f.id) {
                report.warnings.push(problem(
                    &t.html_name,
                    format!(
                        "field '{}' ({}) is not used by any template",
                        f.id, f.label.ja
                    ),
                ));
            }
        }
        for (label, values) in [("filled", sample_values(&t.form)), ("empty", Values::new())] {
            let rec = sample_record(&pack, &t.form, &t.hash, values);
            let place = format!("{} ({label} sample)", t.form.id);
            if let Err(e) = render::text(&pack, t, &rec) {
                report
                    .errors
                    .push(problem(&t.text_name, format!("{place}: {e}")));
            }
            match render::pdf(&pack, t, &rec) {
                Ok(pdf) => {
                    if label == "filled" {
                        report
                            .previews
                            .push((t.form.id.clone(), pdf.pages, pdf.bytes));
                    }
                }
                Err(e) => report
                    .errors
                    .push(problem(&t.html_name, format!("{place}: {e}"))),
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_pack_passes_every_check() {
        let mut files = Files::new();
        super::super::collect_builtin(&super::super::BUILTIN, &mut files);
        let r = check(&files);
        let errs: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
        assert!(errs.is_empty(), "{errs:#?}");
        assert_eq!(r.previews.len(), 11);
    }

    #[test]
    fn references_are_located() {
        let src = "<p>{{ d.name }}</p>\n{% for m in d.meds %}<p>{{ m.drug }} {{ m.dose }}</p>{% endfor %}\n<p>{{ \"v.x\" }} {{ v.nmae }}</p>";
        let form: FormDef = toml::from_str(
            "id='t'\nversion='1'\ntitle={ja='T'}\n[[fields]]\nid='name'\nlabel={ja='氏名'}\ntype='text'\n[[fields]]\nid='meds'\nlabel={ja='薬'}\ntype='table'\n[[fields.columns]]\nid='drug'\nlabel={ja='薬剤'}\ntype='text'\n",
        )
        .expect("form");
        let mut errors = Vec::new();
        let used = check_references("t/record.html", src, &form, &Files::new(), &mut errors);
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("t/record.html:2:41: 'm.dose'"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with("t/record.html:3:19: 'v.nmae'"),
            "{text:?}"
        );
        assert_eq!(used.into_iter().collect::<Vec<_>>(), vec!["meds", "name"]);
    }
}
