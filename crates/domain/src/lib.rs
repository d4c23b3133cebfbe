//! Hikae's domain: what a record, a form, a procedure, a downtime, a drill and an audit entry
//! are, and the rules about them. Pure data and rules.
//!
//! Architecture Invariant: no I/O here (no files, no database, no network, no clock beyond
//! `Utc::now` for new ids and stamps). Config is parsed from text handed in; the app crate
//! reads the file.

pub mod audit;
pub mod config;
pub mod downtime;
pub mod drill;
pub mod error;
pub mod fhirmap;
pub mod fleet;
pub mod form;
pub mod prefill;
pub mod procedure;
pub mod record;
pub mod snapshot;

pub use error::{Error, Result};
