//! The one error type at the Tauri boundary: every core error becomes `{code, message, fields}`.
//! The UI maps `code` (and each field problem's code) to Japanese or English text.

use serde::Serialize;

/// Something unexpected inside the shell (a poisoned lock).
pub const INTERNAL: &str = "internal";
/// A sync was asked for while one runs.
pub const SYNC_RUNNING: &str = "sync_running";
/// The shell's own codes, besides the core's (`hikae_app::Error::CODES`): errors.ts lists both.
#[cfg(test)]
pub const SHELL_CODES: &[&str] = &[INTERNAL, SYNC_RUNNING];

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CmdError {
    /// One of `Error::CODES` or `SHELL_CODES`.
    #[cfg_attr(test, ts(type = "ErrorCode"))]
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<hikae_app::form::FieldError>,
}

impl From<hikae_app::Error> for CmdError {
    fn from(e: hikae_app::Error) -> Self {
        let fields = match &e {
            hikae_app::Error::Invalid(f) => f.clone(),
            _ => Vec::new(),
        };
        CmdError {
            code: e.code(),
            message: e.to_string(),
            fields,
        }
    }
}

pub type CmdResult<T> = Result<T, CmdError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_with_code_message_and_fields() {
        let e: CmdError = hikae_app::Error::RecordNotFound("x".into()).into();
        let v = serde_json::to_value(&e).expect("serialize");
        assert_eq!(v["code"], "record_not_found");
        assert_eq!(v["fields"], serde_json::json!([]));
        assert!(v["message"].as_str().is_some_and(|m| m.contains('x')));
    }
}
