#![allow(dead_code)]
//! Helpers shared by the integration tests: temp data dirs, the real CLI, poppler tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hikae::app::Hikae;
use hikae::form::Values;
use hikae::record::{Patient, Record};

pub fn hikae_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hikae")
}

/// Runs the real CLI with a data dir.
pub fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(hikae_bin())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("HIKAE_DATA_DIR")
        .env_remove("HIKAE_USER")
        .output()
        .expect("run hikae")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a poppler tool; the tests need poppler-utils (the README's test command installs it).
pub fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is required for the PDF tests (apt-get install poppler-utils): {e}")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn pdf_pages(pdf: &Path) -> usize {
    poppler("pdfinfo", &[pdf.to_str().expect("utf-8 path")])
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|n| n.trim().parse().expect("page count"))
        })
        .expect("Pages: line")
}

pub fn pdf_page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    poppler(
        "pdftotext",
        &[
            "-f",
            &p,
            "-l",
            &p,
            "-layout",
            pdf.to_str().expect("utf-8 path"),
            "-",
        ],
    )
}

pub fn values(v: serde_json::Value) -> Values {
    v.as_object().cloned().expect("a JSON object")
}

pub fn patient(id: &str, name: &str) -> Patient {
    Patient {
        id: id.into(),
        name: name.into(),
    }
}

/// A fresh app in a temp dir (kept alive by the returned guard).
pub fn app() -> (tempfile::TempDir, Hikae) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = Hikae::open(dir.path()).expect("open app");
    (dir, app)
}

pub fn demo_fixture(template: &str) -> hikae::demo::Fixture {
    hikae::demo::fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.template == template)
        .expect("fixture for template")
}

/// Creates and finalizes the demo record of `template`.
pub fn finalized_demo(app: &mut Hikae, template: &str) -> Record {
    let f = demo_fixture(template);
    let rec = app
        .new_record(&f.template, f.patient, &f.author, f.values)
        .expect("create");
    app.finalize(
        &rec.id,
        f.final_reviewer.as_deref().unwrap_or("医師 試験 一郎"),
    )
    .expect("finalize")
}

pub fn write_pdf(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write pdf");
    p
}
