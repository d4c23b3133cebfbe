//! Hikae core: records made during an outage, kept on the ward PC, printed on paper.
//!
//! No Tauri, no network, no UI text beyond what is printed on records. See ARCHITECTURE.md.

pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod demo;
pub mod doc;
pub mod downtime;
pub mod drill;
pub mod error;
pub mod export;
pub mod fetch;
pub mod form;
pub mod monitor;
pub mod pack;
pub mod paper;
pub mod pdf;
pub mod print;
pub mod procedure;
pub mod record;
pub mod render;
pub mod store;
pub mod sync;

pub use error::{Error, Result};
