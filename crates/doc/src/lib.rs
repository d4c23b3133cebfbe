//! Printable documents, and nothing else: the document model, the strict HTML subset that
//! record templates produce (`html`), and its Japanese A4 PDF (`pdf`).
//!
//! Architecture Invariant: this crate knows nothing of records, forms, packs or storage. It
//! takes a [`Document`] and a [`pdf::PageFrame`] and gives bytes.

mod html;
pub mod pdf;

pub use html::*;

/// A document that could not be laid out or written (the font, a stream, the writer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Layout(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Layout(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
