//! Forms that fill themselves: which field of a template takes what from the ward snapshot
//! (`[template.prefill]` in pack.toml), from a small fixed vocabulary of sources.
//!
//! ```toml
//! [template.prefill]
//! admission_date = "encounter.admitted"
//! allergies = "allergies"
//! discharge_meds = { source = "medications", columns = { drug = "text", dose = "dosage" } }
//! ```
//! Prefilled values are ordinary draft values: editable, validated like typed ones. The
//! record remembers which fields were prefilled and from which copy (printed in its footer).
//! An empty source leaves its field empty: "no allergies recorded" is never written as "none".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::form::{FieldType, FormDef, Values};
use crate::snapshot::PatientSummary;

/// What one field takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PrefillSource {
    /// A text source (see [`TEXT_SOURCES`]).
    Text(String),
    /// Rows of a list source into a table field: table column id → row part.
    Table {
        source: String,
        columns: BTreeMap<String, String>,
    },
}

/// Text sources: name, and whether it is a date (for date fields).
pub const TEXT_SOURCES: &[(&str, bool)] = &[
    ("patient.name", false),
    ("patient.kana", false),
    ("patient.id", false),
    ("patient.birth_date", true),
    ("patient.age", false),
    ("patient.sex", false),
    ("encounter.ward", false),
    ("encounter.bed", false),
    ("encounter.admitted", true),
    ("encounter.attending", false),
    ("encounter.department", false),
    ("encounter.reason", false),
    ("encounter.chief_complaint", false),
    ("allergies", false),
    ("medications", false),
    ("problems", false),
    ("vitals", false),
];

/// List sources for tables, with the parts of each row.
pub const TABLE_SOURCES: &[(&str, &[&str])] = &[
    ("allergies", &["text", "criticality", "reaction"]),
    // dose: the dosage's first word ("1回1錠"), timing: the rest ("1日1回 朝食後")
    (
        "medications",
        &["text", "dosage", "dose", "timing", "route", "since"],
    ),
    ("problems", &["text", "code", "onset"]),
    ("vitals", &["label", "value", "at"]),
];

/// What is wrong with one `field = source` of a template, if anything.
pub fn problem(form: &FormDef, field: &str, source: &PrefillSource) -> Option<String> {
    let Some(def) = form.field(field) else {
        return Some(format!("'{field}': no such field in the form"));
    };
    match source {
        PrefillSource::Text(s) => {
            let Some((_, date)) = TEXT_SOURCES.iter().find(|(n, _)| n == s) else {
                return Some(format!(
                    "{field} = \"{s}\": unknown source; known are {}",
                    TEXT_SOURCES
                        .iter()
                        .map(|t| t.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            match def.kind {
                FieldType::Text | FieldType::Multiline => None,
                FieldType::Date | FieldType::Datetime if *date => None,
                FieldType::Table => Some(format!(
                    "{field} = \"{s}\": '{field}' is a table; use {{ source = \"…\", columns = {{ … }} }}"
                )),
                _ => Some(format!(
                    "{field} = \"{s}\": cannot fill a {:?} field",
                    def.kind
                )),
            }
        }
        PrefillSource::Table { source, columns } => {
            let Some((_, parts)) = TABLE_SOURCES.iter().find(|(n, _)| n == source) else {
                return Some(format!(
                    "{field}: source = \"{source}\": unknown list; known are {}",
                    TABLE_SOURCES
                        .iter()
                        .map(|t| t.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if def.kind != FieldType::Table {
                return Some(format!("{field}: not a table field"));
            }
            for (col, part) in columns {
                if !def.columns.iter().any(|c| &c.id == col) {
                    return Some(format!("{field}: column '{col}': no such column"));
                }
                if !parts.contains(&part.as_str()) {
                    return Some(format!(
                        "{field}: column {col} = \"{part}\": unknown part of {source}; known are {}",
                        parts.join(", ")
                    ));
                }
            }
            None
        }
    }
}

fn sex(g: Option<&str>) -> String {
    match g {
        Some("male") => "男".into(),
        Some("female") => "女".into(),
        Some("other") => "その他".into(),
        _ => String::new(),
    }
}

/// A FHIR date or date-time as the date in Japan (`2026-11-30T20:00:00Z` is 2026/12/01).
fn date_part(s: Option<&str>) -> String {
    let Some(s) = s else { return String::new() };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t
            .with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y/%m/%d")
            .to_string();
    }
    s.get(..10).unwrap_or(s).replace('-', "/")
}

/// A FHIR date-time as Japan time, `2026/12/01 09:30` (else as given).
fn jst_time(s: Option<&str>) -> String {
    let Some(s) = s else { return String::new() };
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t
            .with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y/%m/%d %H:%M")
            .to_string(),
        Err(_) => s.to_string(),
    }
}

fn text_of(s: &PatientSummary, source: &str) -> String {
    let r = &s.row;
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    match source {
        "patient.name" => r.name.clone(),
        "patient.kana" => opt(&r.kana),
        "patient.id" => opt(&r.patient_id),
        "patient.birth_date" => r
            .birth_date
            .map(|d| d.format("%Y/%m/%d").to_string())
            .unwrap_or_default(),
        "patient.age" => r.age.map(|a| format!("{a}歳")).unwrap_or_default(),
        "patient.sex" => sex(r.gender.as_deref()),
        "encounter.ward" => opt(&r.ward_name),
        "encounter.bed" => opt(&r.bed),
        "encounter.admitted" => date_part(r.admitted.as_deref()),
        "encounter.attending" => opt(&r.attending),
        "encounter.department" => opt(&r.department),
        "encounter.reason" => opt(&r.reason),
        "encounter.chief_complaint" => opt(&r.complaint),
        "allergies" => s
            .allergies
            .iter()
            .map(|a| {
                let mut extra = Vec::new();
                if a.criticality.as_deref() == Some("high") {
                    extra.push("重篤度 高".to_string());
                }
                if let Some(x) = &a.reaction {
                    extra.push(x.clone());
                }
                if extra.is_empty() {
                    a.text.clone()
                } else {
                    format!("{}（{}）", a.text, extra.join("、"))
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "medications" => s
            .medications
            .iter()
            .map(|m| {
                format!("{}　{}", m.text, m.dosage.as_deref().unwrap_or(""))
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "problems" => s
            .problems
            .iter()
            .map(|p| p.text.clone())
            .collect::<Vec<_>>()
            .join("\n"),
        "vitals" => s
            .vitals
            .iter()
            .map(|v| format!("{} {}{}", v.label, v.value, v.unit.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn rows_of(s: &PatientSummary, source: &str, columns: &BTreeMap<String, String>) -> Vec<Value> {
    let row = |parts: &[(&str, String)]| {
        let mut m = serde_json::Map::new();
        for (col, part) in columns {
            let v = parts
                .iter()
                .find(|(p, _)| p == part)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            m.insert(col.clone(), json!(v));
        }
        Value::Object(m)
    };
    let o = |x: &Option<String>| x.clone().unwrap_or_default();
    match source {
        "allergies" => s
            .allergies
            .iter()
            .map(|a| {
                row(&[
                    ("text", a.text.clone()),
                    ("criticality", o(&a.criticality)),
                    ("reaction", o(&a.reaction)),
                ])
            })
            .collect(),
        "medications" => s
            .medications
            .iter()
            .map(|m| {
                let dosage = o(&m.dosage);
                let (dose, timing) = dosage
                    .trim()
                    .split_once(char::is_whitespace)
                    .map(|(d, t)| (d.to_string(), t.trim().to_string()))
                    .unwrap_or_else(|| (dosage.trim().to_string(), String::new()));
                row(&[
                    ("text", m.text.clone()),
                    ("dosage", dosage.clone()),
                    ("dose", dose),
                    ("timing", timing),
                    ("route", o(&m.route)),
                    ("since", date_part(m.since.as_deref())),
                ])
            })
            .collect(),
        "problems" => s
            .problems
            .iter()
            .map(|p| {
                row(&[
                    ("text", p.text.clone()),
                    ("code", o(&p.code)),
                    ("onset", date_part(p.onset.as_deref())),
                ])
            })
            .collect(),
        "vitals" => s
            .vitals
            .iter()
            .map(|v| {
                row(&[
                    ("label", v.label.clone()),
                    ("value", format!("{}{}", v.value, o(&v.unit))),
                    ("at", jst_time(v.at.as_deref())),
                ])
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The values `map` takes from `summary`, and the ids of the fields it filled (empty sources
/// fill nothing).
pub fn values(
    map: &BTreeMap<String, PrefillSource>,
    summary: &PatientSummary,
) -> (Values, Vec<String>) {
    let mut out = Values::new();
    let mut filled = Vec::new();
    for (field, source) in map {
        let v = match source {
            PrefillSource::Text(s) => {
                let t = text_of(summary, s);
                (!t.is_empty()).then(|| json!(t))
            }
            PrefillSource::Table { source, columns } => {
                let rows = rows_of(summary, source, columns);
                (!rows.is_empty()).then_some(Value::Array(rows))
            }
        };
        if let Some(v) = v {
            out.insert(field.clone(), v);
            filled.push(field.clone());
        }
    }
    (out, filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_japan_time() {
        assert_eq!(date_part(Some("2026-11-30T20:00:00Z")), "2026/12/01");
        assert_eq!(date_part(Some("2026-11-30T10:00:00+09:00")), "2026/11/30");
        assert_eq!(date_part(Some("2026-11-30")), "2026/11/30");
        assert_eq!(jst_time(Some("2026-12-01T00:30:00Z")), "2026/12/01 09:30");
    }
}
