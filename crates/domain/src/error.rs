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

impl From<hikae_doc::Error> for Error {
    fn from(e: hikae_doc::Error) -> Self {
        match e {
            hikae_doc::Error::Layout(m) => Error::Layout(m),
        }
    }
}
