//! Form definitions and the values filled into them.
//!
//! A form is plain data read from a pack (`form.toml`). This module owns what a value may be:
//! structural checks for drafts (unknown fields, wrong shapes), full validation for
//! finalizing (required, formats, ranges, options), lenient parsing of what people type
//! (full-width digits, `2026/11/21 14:30`), and display strings for rendering.
//! It knows nothing about storage or printing.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Field values of one record, keyed by field id.
pub type Values = Map<String, Value>;

// The TypeScript of `Values` (the desktop UI reads and writes them): the shapes `check_draft`
// lets through.

/// A single value or a table cell: text, a number sent as a JSON number, a checkbox, or `null`
/// for nothing entered.
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(rename = "Cell", untagged)]
pub enum CellShape {
    Text(String),
    Number(f64),
    Checkbox(bool),
    Empty(()),
}

/// A field's value: a cell, or the rows of a table field (cells by column id).
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(rename = "Value", untagged)]
pub enum ValueShape {
    Cell(CellShape),
    Rows(Vec<RowShape>),
}

/// One row of a table field: its cells by column id (tables do not nest).
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(rename = "Row")]
pub struct RowShape(pub std::collections::HashMap<String, CellShape>);

/// A record's values by field id.
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(rename = "Values")]
pub struct ValuesShape(pub std::collections::HashMap<String, ValueShape>);

/// Japanese-first text with an English counterpart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct L10n {
    pub ja: String,
    #[serde(default)]
    pub en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    pub id: String,
    /// Version of this template; recorded on every record made with it.
    pub version: String,
    pub title: L10n,
    #[serde(default)]
    pub description: Option<L10n>,
    #[serde(default)]
    pub print: PrintOptions,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PrintOptions {
    /// Larger type for documents handed to patients.
    #[serde(default)]
    pub large_type: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Multiline,
    Date,
    Datetime,
    Number,
    Select,
    Checkbox,
    Table,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub id: String,
    pub label: L10n,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub help: Option<L10n>,
    /// Number fields: unit shown after the value (e.g. "mg", "℃").
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Text fields: maximum length in characters.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Select fields.
    #[serde(default)]
    pub options: Vec<SelectOption>,
    /// Table fields: the columns of each row (no nested tables).
    #[serde(default)]
    pub columns: Vec<FieldDef>,
    #[serde(default)]
    pub min_rows: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SelectOption {
    pub value: String,
    pub ja: String,
    #[serde(default)]
    pub en: String,
}

/// One problem with one field. `path` names the field (`medications[2].dose` for table cells).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    pub path: String,
    pub label: String,
    pub problem: Problem,
}

/// What is wrong; frontends localize by `code()`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Problem {
    Required,
    UnknownField,
    WrongType { expected: &'static str },
    NotANumber,
    BelowMin { min: f64 },
    AboveMax { max: f64 },
    BadDate,
    BadDatetime,
    UnknownOption { allowed: Vec<String> },
    TooLong { max: usize },
    NotSingleLine,
    TooFewRows { min: usize },
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if !self.label.is_empty() {
            write!(f, " ({})", self.label)?;
        }
        f.write_str(": ")?;
        match &self.problem {
            Problem::Required => f.write_str("required (必須) but empty"),
            Problem::UnknownField => f.write_str("no such field in this form"),
            Problem::WrongType { expected } => write!(f, "expected {expected}"),
            Problem::NotANumber => f.write_str("not a number"),
            Problem::BelowMin { min } => write!(f, "must be at least {min}"),
            Problem::AboveMax { max } => write!(f, "must be at most {max}"),
            Problem::BadDate => f.write_str("not a date; write e.g. 2026/11/21"),
            Problem::BadDatetime => f.write_str("not a date and time; write e.g. 2026/11/21 14:30"),
            Problem::UnknownOption { allowed } => {
                write!(f, "not one of the choices ({})", allowed.join(", "))
            }
            Problem::TooLong { max } => write!(f, "longer than {max} characters"),
            Problem::NotSingleLine => f.write_str("must be a single line"),
            Problem::TooFewRows { min } => write!(f, "needs at least {min} row(s)"),
        }
    }
}

impl FieldDef {
    fn err(&self, path: &str, problem: Problem) -> FieldError {
        FieldError {
            path: path.to_string(),
            label: self.label.ja.clone(),
            problem,
        }
    }

    /// The value a field has when nothing was entered.
    pub fn empty_value(&self) -> Value {
        match self.kind {
            FieldType::Checkbox => Value::Bool(false),
            FieldType::Table => Value::Array(Vec::new()),
            _ => Value::String(String::new()),
        }
    }
}

impl FormDef {
    pub fn field(&self, id: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// Problems with the definition itself (for pack checks). Empty when sound.
    pub fn definition_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !is_identifier(&self.id) {
            out.push(format!(
                "form id '{}' must be lowercase letters, digits, '-' or '_'",
                self.id
            ));
        }
        check_fields(&self.fields, "", false, &mut out);
        out
    }

    /// Turns one typed command-line value into the field's JSON shape: tables take JSON,
    /// checkboxes take yes/no words, everything else is kept as typed.
    pub fn parse_input(&self, field_id: &str, raw: &str) -> Result<Value, FieldError> {
        let Some(def) = self.field(field_id) else {
            return Err(FieldError {
                path: field_id.into(),
                label: String::new(),
                problem: Problem::UnknownField,
            });
        };
        match def.kind {
            FieldType::Table => serde_json::from_str::<Value>(raw)
                .ok()
                .filter(Value::is_array)
                .ok_or_else(|| {
                    def.err(
                        field_id,
                        Problem::WrongType {
                            expected: "a JSON array of row objects",
                        },
                    )
                }),
            FieldType::Checkbox => parse_bool(raw).map(Value::Bool).ok_or_else(|| {
                def.err(
                    field_id,
                    Problem::WrongType {
                        expected: "yes/no, true/false, 1/0",
                    },
                )
            }),
            _ => Ok(Value::String(raw.to_string())),
        }
    }

    /// Structural check for saving a draft: unknown fields and wrong JSON shapes are refused;
    /// anything a person typed (even an invalid date) is accepted so that nothing is lost.
    pub fn check_draft(&self, values: &Values) -> Vec<FieldError> {
        let mut out = Vec::new();
        check_shapes(&self.fields, values, "", &mut out);
        out
    }

    /// Full validation, required before a record is finalized.
    pub fn validate(&self, values: &Values) -> Vec<FieldError> {
        let mut out = self.check_draft(values);
        if !out.is_empty() {
            return out;
        }
        validate_fields(&self.fields, values, "", &mut out);
        out
    }

    /// Canonical form of valid values (dates as `YYYY-MM-DD`, numbers with ASCII digits,
    /// blank table rows dropped). Values that do not parse are kept as typed.
    pub fn normalize(&self, values: &Values) -> Values {
        normalize_fields(&self.fields, values)
    }

    /// Every field present, missing ones filled with their empty value.
    pub fn complete(&self, values: &Values) -> Values {
        let mut out = Map::new();
        for def in &self.fields {
            let v = values
                .get(&def.id)
                .cloned()
                .unwrap_or_else(|| def.empty_value());
            let v = match (def.kind, v) {
                (FieldType::Table, Value::Array(rows)) => Value::Array(
                    rows.into_iter()
                        .map(|row| match row {
                            Value::Object(cells) => {
                                Value::Object(complete_row(&def.columns, &cells))
                            }
                            other => other,
                        })
                        .collect(),
                ),
                (_, v) => v,
            };
            out.insert(def.id.clone(), v);
        }
        out
    }

    /// Display strings, as printed: dates as 2026年11月21日, numbers with unit, select labels,
    /// checkboxes as あり/なし, table rows as lists of such maps.
    pub fn display(&self, values: &Values) -> Values {
        let complete = self.complete(values);
        let mut out = Map::new();
        for def in &self.fields {
            let v = complete.get(&def.id).unwrap_or(&Value::Null);
            out.insert(def.id.clone(), display_value(def, v));
        }
        out
    }
}

/// All text of the values, for full-text search (needs no form: values carry their text).
pub fn search_text(values: &Values) -> String {
    let mut s = String::new();
    for v in values.values() {
        collect_text(v, &mut s);
    }
    s
}

fn complete_row(columns: &[FieldDef], cells: &Map<String, Value>) -> Map<String, Value> {
    columns
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                cells.get(&c.id).cloned().unwrap_or_else(|| c.empty_value()),
            )
        })
        .collect()
}

fn collect_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) if !s.trim().is_empty() => {
            out.push_str(s.trim());
            out.push('\n');
        }
        Value::Number(n) => {
            out.push_str(&n.to_string());
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| collect_text(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_text(x, out)),
        _ => {}
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn check_fields(fields: &[FieldDef], prefix: &str, in_table: bool, out: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    if fields.is_empty() {
        out.push(format!(
            "{}has no fields",
            if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}: ")
            }
        ));
    }
    for f in fields {
        let path = format!("{prefix}{}", f.id);
        if !is_identifier(&f.id) || f.id.contains('-') {
            out.push(format!(
                "field '{path}': id must be lowercase letters, digits and '_' (used in templates)"
            ));
        }
        if !seen.insert(f.id.as_str()) {
            out.push(format!("field '{path}' is defined twice"));
        }
        if f.label.ja.trim().is_empty() {
            out.push(format!("field '{path}': label.ja is empty"));
        }
        let k = f.kind;
        if k == FieldType::Select && f.options.is_empty() {
            out.push(format!("field '{path}': a select needs options"));
        }
        if k != FieldType::Select && !f.options.is_empty() {
            out.push(format!(
                "field '{path}': 'options' is only for type = \"select\""
            ));
        }
        if k == FieldType::Table {
            if in_table {
                out.push(format!("field '{path}': tables cannot be nested"));
            }
            if f.columns.is_empty() {
                out.push(format!("field '{path}': a table needs columns"));
            }
            check_fields(&f.columns, &format!("{path}."), true, out);
        } else if !f.columns.is_empty() || f.min_rows.is_some() {
            out.push(format!(
                "field '{path}': 'columns'/'min_rows' are only for type = \"table\""
            ));
        }
        if k != FieldType::Number && (f.unit.is_some() || f.min.is_some() || f.max.is_some()) {
            out.push(format!(
                "field '{path}': 'unit', 'min', 'max' are only for type = \"number\""
            ));
        }
        if !matches!(k, FieldType::Text | FieldType::Multiline) && f.max_length.is_some() {
            out.push(format!(
                "field '{path}': 'max_length' is only for text fields"
            ));
        }
        let mut opt_seen = std::collections::HashSet::new();
        for o in &f.options {
            if !opt_seen.insert(o.value.as_str()) {
                out.push(format!(
                    "field '{path}': option value '{}' appears twice",
                    o.value
                ));
            }
        }
    }
}

fn check_shapes(
    fields: &[FieldDef],
    values: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<FieldError>,
) {
    for key in values.keys() {
        if !fields.iter().any(|f| &f.id == key) {
            out.push(FieldError {
                path: format!("{prefix}{key}"),
                label: String::new(),
                problem: Problem::UnknownField,
            });
        }
    }
    for def in fields {
        let path = format!("{prefix}{}", def.id);
        let Some(v) = values.get(&def.id) else {
            continue;
        };
        let ok = match def.kind {
            FieldType::Checkbox => v.is_boolean() || v.is_null(),
            FieldType::Table => match v {
                Value::Array(rows) => {
                    for (i, row) in rows.iter().enumerate() {
                        match row {
                            Value::Object(cells) => check_shapes(
                                &def.columns,
                                cells,
                                &format!("{path}[{}].", i + 1),
                                out,
                            ),
                            _ => out.push(def.err(
                                &format!("{path}[{}]", i + 1),
                                Problem::WrongType {
                                    expected: "a row object",
                                },
                            )),
                        }
                    }
                    true
                }
                Value::Null => true,
                _ => false,
            },
            FieldType::Number => v.is_string() || v.is_number() || v.is_null(),
            _ => v.is_string() || v.is_null(),
        };
        if !ok {
            let expected = match def.kind {
                FieldType::Checkbox => "true or false",
                FieldType::Table => "a list of rows",
                FieldType::Number => "a number or text",
                _ => "text",
            };
            out.push(def.err(&path, Problem::WrongType { expected }));
        }
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn row_is_blank(row: &Value) -> bool {
    match row {
        Value::Object(cells) => cells.values().all(|c| match c {
            Value::Bool(_) | Value::Null => true,
            other => text_of(other).is_empty(),
        }),
        _ => false,
    }
}

fn validate_fields(
    fields: &[FieldDef],
    values: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<FieldError>,
) {
    for def in fields {
        let path = format!("{prefix}{}", def.id);
        let v = values.get(&def.id).unwrap_or(&Value::Null);
        match def.kind {
            FieldType::Checkbox => {
                if def.required && v != &Value::Bool(true) {
                    out.push(def.err(&path, Problem::Required));
                }
            }
            FieldType::Table => {
                let rows: Vec<&Value> = v
                    .as_array()
                    .map(|a| a.iter().filter(|r| !row_is_blank(r)).collect())
                    .unwrap_or_default();
                let min = def.min_rows.unwrap_or(usize::from(def.required));
                if rows.len() < min {
                    out.push(def.err(
                        &path,
                        if rows.is_empty() {
                            Problem::Required
                        } else {
                            Problem::TooFewRows { min }
                        },
                    ));
                }
                for (i, row) in v.as_array().into_iter().flatten().enumerate() {
                    if let (false, Value::Object(cells)) = (row_is_blank(row), row) {
                        validate_fields(&def.columns, cells, &format!("{path}[{}].", i + 1), out);
                    }
                }
            }
            _ => {
                let s = text_of(v);
                if s.is_empty() {
                    if def.required {
                        out.push(def.err(&path, Problem::Required));
                    }
                    continue;
                }
                if let Some(p) = scalar_problem(def, &s) {
                    out.push(def.err(&path, p));
                }
            }
        }
    }
}

fn scalar_problem(def: &FieldDef, s: &str) -> Option<Problem> {
    match def.kind {
        FieldType::Text | FieldType::Multiline => {
            if def.kind == FieldType::Text && s.contains('\n') {
                return Some(Problem::NotSingleLine);
            }
            match def.max_length {
                Some(max) if s.chars().count() > max => Some(Problem::TooLong { max }),
                _ => None,
            }
        }
        FieldType::Date => parse_date(s).is_none().then_some(Problem::BadDate),
        FieldType::Datetime => parse_datetime(s).is_none().then_some(Problem::BadDatetime),
        FieldType::Number => match parse_number(s) {
            None => Some(Problem::NotANumber),
            Some(n) if def.min.is_some_and(|m| n < m) => Some(Problem::BelowMin {
                min: def.min.unwrap_or_default(),
            }),
            Some(n) if def.max.is_some_and(|m| n > m) => Some(Problem::AboveMax {
                max: def.max.unwrap_or_default(),
            }),
            Some(_) => None,
        },
        FieldType::Select => {
            (!def.options.iter().any(|o| o.value == s)).then(|| Problem::UnknownOption {
                allowed: def.options.iter().map(|o| o.value.clone()).collect(),
            })
        }
        FieldType::Checkbox | FieldType::Table => None,
    }
}

fn normalize_fields(fields: &[FieldDef], values: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for def in fields {
        let Some(v) = values.get(&def.id) else {
            continue;
        };
        let nv = match def.kind {
            FieldType::Table => Value::Array(
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| !row_is_blank(r))
                    .map(|r| match r {
                        Value::Object(cells) => {
                            Value::Object(normalize_fields(&def.columns, cells))
                        }
                        other => other.clone(),
                    })
                    .collect(),
            ),
            FieldType::Checkbox => Value::Bool(v.as_bool().unwrap_or(false)),
            _ => {
                let s = text_of(v);
                let canon = match def.kind {
                    FieldType::Date => parse_date(&s).map(|d| d.format("%Y-%m-%d").to_string()),
                    FieldType::Datetime => {
                        parse_datetime(&s).map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
                    }
                    FieldType::Number => parse_number(&s).map(|_| to_ascii(&s).trim().to_string()),
                    _ => None,
                };
                Value::String(canon.unwrap_or(match v {
                    Value::String(raw) if def.kind == FieldType::Multiline => {
                        raw.trim_end().to_string()
                    }
                    _ => s,
                }))
            }
        };
        out.insert(def.id.clone(), nv);
    }
    out
}

fn display_value(def: &FieldDef, v: &Value) -> Value {
    match def.kind {
        FieldType::Table => Value::Array(
            v.as_array()
                .into_iter()
                .flatten()
                .filter(|r| !row_is_blank(r))
                .map(|row| {
                    let cells = row.as_object().cloned().unwrap_or_default();
                    Value::Object(
                        def.columns
                            .iter()
                            .map(|c| {
                                (
                                    c.id.clone(),
                                    display_value(c, cells.get(&c.id).unwrap_or(&Value::Null)),
                                )
                            })
                            .collect(),
                    )
                })
                .collect(),
        ),
        FieldType::Checkbox => Value::String(
            if v.as_bool().unwrap_or(false) {
                "あり"
            } else {
                "なし"
            }
            .into(),
        ),
        _ => {
            let s = match v {
                Value::String(s) if def.kind == FieldType::Multiline => s.trim_end().to_string(),
                other => text_of(other),
            };
            if s.is_empty() {
                return Value::String(s);
            }
            let shown = match def.kind {
                FieldType::Date => parse_date(&s).map(|d| d.format("%Y年%-m月%-d日").to_string()),
                FieldType::Datetime => {
                    parse_datetime(&s).map(|d| d.format("%Y年%-m月%-d日 %H:%M").to_string())
                }
                FieldType::Number => Some(match &def.unit {
                    Some(u) => format!("{} {u}", to_ascii(&s).trim()),
                    None => to_ascii(&s).trim().to_string(),
                }),
                FieldType::Select => def
                    .options
                    .iter()
                    .find(|o| o.value == s)
                    .map(|o| o.ja.clone()),
                _ => None,
            };
            Value::String(shown.unwrap_or(s))
        }
    }
}

/// Full-width ASCII (what Japanese IMEs often type) to ASCII; ideographic space to space.
pub fn to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            'ー' | '−' | '―' => '-',
            _ => c,
        })
        .collect()
}

pub fn parse_number(s: &str) -> Option<f64> {
    let t = to_ascii(s).replace(',', "");
    let t = t.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match to_ascii(s).trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" | "はい" | "あり" => Some(true),
        "0" | "false" | "no" | "n" | "off" | "いいえ" | "なし" | "" => Some(false),
        _ => None,
    }
}

/// Accepts 2026-11-21, 2026/11/21, 2026/1/5, 2026.11.21, 20261121 and 2026年11月21日.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = to_ascii(s);
    let t = t.trim().trim_end_matches('日');
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A date as above, then a space or `T`, then `14:30` (seconds ignored). Local time (Asia/Tokyo).
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let t = to_ascii(s);
    let t = t.trim();
    let (date, time) = t.split_once(['T', ' ']).map(|(d, t)| (d, t.trim()))?;
    let date = parse_date(date)?;
    let mut hm = time.split(':');
    let h: u32 = hm.next()?.parse().ok()?;
    let m: u32 = hm.next()?.parse().ok()?;
    Some(date.and_time(NaiveTime::from_hms_opt(h, m, 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> FormDef {
        toml::from_str(
            r#"
id = "t"
version = "1"
title = { ja = "テスト", en = "Test" }
[[fields]]
id = "name"
label = { ja = "氏名" }
type = "text"
required = true
[[fields]]
id = "temp"
label = { ja = "体温" }
type = "number"
unit = "℃"
min = 30
max = 45
[[fields]]
id = "day"
label = { ja = "日付" }
type = "date"
[[fields]]
id = "dest"
label = { ja = "退院先" }
type = "select"
options = [{ value = "home", ja = "自宅" }, { value = "facility", ja = "施設" }]
[[fields]]
id = "meds"
label = { ja = "処方" }
type = "table"
[[fields.columns]]
id = "drug"
label = { ja = "薬剤名" }
type = "text"
required = true
[[fields.columns]]
id = "days"
label = { ja = "日数" }
type = "number"
"#,
        )
        .expect("test form parses")
    }

    fn vals(v: Value) -> Values {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn errors_name_the_field_and_the_row() {
        let f = form();
        assert!(
            f.definition_problems().is_empty(),
            "{:?}",
            f.definition_problems()
        );
        let errs = f.validate(&vals(
            json!({"temp": "abc", "day": "2026/13/40", "dest": "moon",
            "meds": [{"drug": "", "days": "5"}, {"drug": "", "days": ""}]}),
        ));
        let paths: Vec<_> = errs
            .iter()
            .map(|e| (e.path.as_str(), e.problem.clone()))
            .collect();
        assert!(paths.contains(&("name", Problem::Required)));
        assert!(paths.contains(&("temp", Problem::NotANumber)));
        assert!(paths.contains(&("day", Problem::BadDate)));
        assert!(paths
            .iter()
            .any(|(p, pr)| *p == "dest" && matches!(pr, Problem::UnknownOption { .. })));
        assert!(
            paths.contains(&("meds[1].drug", Problem::Required)),
            "{paths:?}"
        );
        // the blank second row is ignored, not an error
        assert!(!paths.iter().any(|(p, _)| p.starts_with("meds[2]")));
        assert!(errs.iter().any(|e| e.to_string().contains("氏名")));
    }

    #[test]
    fn unknown_fields_are_refused_even_in_drafts() {
        let errs = form().check_draft(&vals(
            json!({"nmae": "x", "meds": [{"drug": "a", "dose": "1"}]}),
        ));
        let paths: Vec<_> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["nmae", "meds[1].dose"]);
    }

    #[test]
    fn drafts_keep_invalid_text_but_finalizing_does_not() {
        let f = form();
        let v = vals(json!({"name": "山田", "temp": "abc"}));
        assert!(f.check_draft(&v).is_empty());
        assert!(!f.validate(&v).is_empty());
    }

    #[test]
    fn typed_input_is_understood() {
        assert_eq!(parse_number("３６．８"), Some(36.8));
        assert_eq!(parse_date("2026/1/5"), NaiveDate::from_ymd_opt(2026, 1, 5));
        assert_eq!(
            parse_date("２０２６年１１月２１日"),
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        assert_eq!(
            parse_date("20261121"),
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        assert!(parse_date("2026/02/30").is_none());
        assert_eq!(
            parse_datetime("2026/11/21 14:30").map(|d| d.to_string()),
            Some("2026-11-21 14:30:00".into())
        );
        assert!(parse_datetime("2026/11/21 25:00").is_none());
        let f = form();
        let errs = f.validate(&vals(json!({"name": "x", "temp": "50"})));
        assert_eq!(errs[0].problem, Problem::AboveMax { max: 45.0 });
    }

    #[test]
    fn display_and_normalize() {
        let f = form();
        let v = vals(
            json!({"name": "山田", "temp": "３６．８", "day": "2026/11/1", "dest": "home",
            "meds": [{"drug": "アムロジピン", "days": "14"}, {"drug": " ", "days": ""}]}),
        );
        let d = f.display(&v);
        assert_eq!(d["temp"], "36.8 ℃");
        assert_eq!(d["day"], "2026年11月1日");
        assert_eq!(d["dest"], "自宅");
        assert_eq!(d["meds"].as_array().map(Vec::len), Some(1));
        let n = f.normalize(&v);
        assert_eq!(n["day"], "2026-11-01");
        assert_eq!(n["temp"], "36.8");
    }

    #[test]
    fn bad_definitions_are_reported() {
        let mut f = form();
        f.fields[1].options.push(SelectOption {
            value: "x".into(),
            ja: "x".into(),
            en: String::new(),
        });
        f.fields.push(f.fields[0].clone());
        let p = f.definition_problems();
        assert!(
            p.iter().any(|s| s.contains("'options' is only for")),
            "{p:?}"
        );
        assert!(p.iter().any(|s| s.contains("defined twice")), "{p:?}");
    }
}
