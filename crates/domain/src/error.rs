//! The one error type of the core library.
//!
//! Every error carries a stable machine code (`Error::code`) that frontends map to their own
//! Japanese and English text, and an English `Display` message for logs and the CLI.

use std::path::PathBuf;

use crate::form::FieldError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("record {0} not found")]
    RecordNotFound(String),
    #[error("template '{0}' not found (see `hikae templates`)")]
    TemplateNotFound(String),
    #[error("{}", format_field_errors(.0))]
    Invalid(Vec<FieldError>),
    #[error("record {0} is finalized and cannot be changed; make a correction instead")]
    Finalized(String),
    #[error("record {id}: {reason}")]
    BadState { id: String, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    /// The app is not in a state that allows this (a drill already running, …).
    #[error("{0}")]
    Conflict(String),
    #[error("template pack refused or broken:\n  {message}")]
    Pack { file: String, message: String },
    #[error("template error: {0}")]
    Template(String),
    #[error("cannot print character {ch:?} (U+{cp:04X}) in {place}: the bundled font has no glyph for it")]
    MissingGlyph { ch: char, cp: u32, place: String },
    #[error("layout error: {0}")]
    Layout(String),
    #[error("database {path}: {message}")]
    Database { path: PathBuf, message: String },
    #[error("the database at {path} has schema version {found}, newer than this Hikae understands ({supported}); use a newer Hikae")]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(String),
    #[error("printing failed: {0}")]
    Print(String),
    #[error("locked: {0}")]
    Locked(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("the audit log has been tampered with:\n  {}", .0.join("\n  "))]
    AuditBroken(Vec<String>),
}

impl Error {
    /// Every code [`Error::code`] gives, in the order of its variants. The desktop UI has a text
    /// for each (its `ERROR_CODES` are generated from this list).
    pub const CODES: &[&str] = &[
        "record_not_found",
        "template_not_found",
        "invalid_values",
        "record_finalized",
        "bad_state",
        "not_found",
        "conflict",
        "pack_invalid",
        "template_error",
        "missing_glyph",
        "layout_error",
        "database_error",
        "schema_too_new",
        "io_error",
        "bad_input",
        "print_failed",
        "audit_broken",
        "locked",
        "forbidden",
    ];

    /// Stable code for frontends; never localized, never changed once released.
    pub fn code(&self) -> &'static str {
        match self {
            Error::RecordNotFound(_) => "record_not_found",
            Error::TemplateNotFound(_) => "template_not_found",
            Error::Invalid(_) => "invalid_values",
            Error::Finalized(_) => "record_finalized",
            Error::BadState { .. } => "bad_state",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Pack { .. } => "pack_invalid",
            Error::Template(_) => "template_error",
            Error::MissingGlyph { .. } => "missing_glyph",
            Error::Layout(_) => "layout_error",
            Error::Database { .. } => "database_error",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Io { .. } => "io_error",
            Error::Input(_) => "bad_input",
            Error::Print(_) => "print_failed",
            Error::AuditBroken(_) => "audit_broken",
            Error::Locked(_) => "locked",
            Error::Forbidden(_) => "forbidden",
        }
    }

    /// A document that could not be laid out or written (from `hikae_doc`).
    pub fn layout(e: impl std::fmt::Display) -> Self {
        Error::Layout(e.to_string())
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

fn format_field_errors(errors: &[FieldError]) -> String {
    let mut s = format!("{} problem(s) in the form:", errors.len());
    for e in errors {
        s.push_str("\n  - ");
        s.push_str(&e.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of each variant.
    fn one_of_each() -> Vec<Error> {
        let s = || "x".to_string();
        vec![
            Error::RecordNotFound(s()),
            Error::TemplateNotFound(s()),
            Error::Invalid(Vec::new()),
            Error::Finalized(s()),
            Error::BadState {
                id: s(),
                reason: s(),
            },
            Error::NotFound(s()),
            Error::Conflict(s()),
            Error::Pack {
                file: s(),
                message: s(),
            },
            Error::Template(s()),
            Error::MissingGlyph {
                ch: 'x',
                cp: 0x78,
                place: s(),
            },
            Error::Layout(s()),
            Error::Database {
                path: "x".into(),
                message: s(),
            },
            Error::SchemaTooNew {
                path: "x".into(),
                found: 2,
                supported: 1,
            },
            Error::io("x", std::io::Error::other("x")),
            Error::Input(s()),
            Error::Print(s()),
            Error::AuditBroken(Vec::new()),
            Error::Locked(s()),
            Error::Forbidden(s()),
        ]
    }

    /// No wildcard: a new variant does not compile until it is added here and to
    /// `one_of_each` (and its code to `CODES`).
    fn covered(e: &Error) -> bool {
        match e {
            Error::RecordNotFound(_)
            | Error::TemplateNotFound(_)
            | Error::Invalid(_)
            | Error::Finalized(_)
            | Error::BadState { .. }
            | Error::NotFound(_)
            | Error::Conflict(_)
            | Error::Pack { .. }
            | Error::Template(_)
            | Error::MissingGlyph { .. }
            | Error::Layout(_)
            | Error::Database { .. }
            | Error::SchemaTooNew { .. }
            | Error::Io { .. }
            | Error::Input(_)
            | Error::Print(_)
            | Error::AuditBroken(_)
            | Error::Locked(_)
            | Error::Forbidden(_) => true,
        }
    }

    #[test]
    fn codes_lists_every_variants_code_once_in_order() {
        let all = one_of_each();
        assert!(all.iter().all(covered));
        let codes: Vec<&str> = all.iter().map(Error::code).collect();
        assert_eq!(
            codes,
            Error::CODES,
            "CODES is every variant's code, in the order of the variants"
        );
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "two variants share a code");
    }
}
