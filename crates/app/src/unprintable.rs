//! Characters in a record's values that no installed font can print (they would print as
//! 〓), by field, so the form can warn at the field before finalizing.

use serde::Serialize;

use hikae_domain::form::{FormDef, Values};

/// One field (or table cell) with characters that print as 〓.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Unprintable {
    /// `field` or `table[row].column`, as in [`hikae_domain::form::FieldError`].
    pub path: String,
    pub label: String,
    pub chars: Vec<char>,
}

fn check(path: String, label: &str, v: &serde_json::Value, out: &mut Vec<Unprintable>) {
    if let Some(s) = v.as_str() {
        // a font that cannot be read is reported by rendering itself
        if let Ok(chars) = hikae_doc::pdf::missing_glyphs(s) {
            if !chars.is_empty() {
                out.push(Unprintable {
                    path,
                    label: label.to_string(),
                    chars,
                });
            }
        }
    }
}

/// Every field of `values` holding characters that would print as 〓, in form order.
pub fn unprintable(form: &FormDef, values: &Values) -> Vec<Unprintable> {
    let mut out = Vec::new();
    for f in &form.fields {
        let Some(v) = values.get(&f.id) else { continue };
        match v.as_array() {
            Some(rows) => {
                for (i, row) in rows.iter().enumerate() {
                    for c in &f.columns {
                        if let Some(cell) = row.get(&c.id) {
                            let label = format!("{} {} {}", f.label.ja, i + 1, c.label.ja);
                            check(
                                format!("{}[{}].{}", f.id, i + 1, c.id),
                                &label,
                                cell,
                                &mut out,
                            );
                        }
                    }
                }
            }
            None => check(f.id.clone(), &f.label.ja, v, &mut out),
        }
    }
    out
}
