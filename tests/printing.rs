//! Many records in one PDF (the ward handover sheet for a shift), and printing it to a real
//! CUPS queue.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use hikae_app::BatchProgress;

fn three_records(app: &mut hikae_app::Hikae) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, name) in ["試験 一子", "試験 二郎", "試験 三子"].iter().enumerate() {
        let f = demo_fixture("sbar-handover");
        let rec = app
            .new_record(
                "sbar-handover",
                patient(&format!("BATCH-{i}"), name),
                &f.author,
                f.values,
            )
            .expect("create");
        ids.push(rec.id);
    }
    ids.push(finalized_demo(app, "discharge-summary").id);
    ids
}

#[test]
fn many_records_print_as_one_pdf_each_with_its_own_header_and_page_numbers() {
    let (dir, mut app) = app();
    let ids = three_records(&mut app);
    let mut seen = Vec::new();
    let pdf = app
        .pdf_many(&ids, &mut |p: BatchProgress| seen.push(p))
        .expect("batch");
    let total = 2 * ids.len() + 1;
    assert_eq!(seen.last(), Some(&BatchProgress { done: total, total }));
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done), "{seen:?}");
    assert_eq!(seen.len(), total);

    let single_pages: usize = ids
        .iter()
        .map(|id| app.pdf(id).expect("single").pages)
        .sum();
    let path = write_pdf(dir.path(), "batch.pdf", &pdf.bytes);
    assert_eq!(pdf_pages(&path), single_pages);
    assert_eq!(pdf.pages, single_pages);
    let first = pdf_page_text(&path, 1);
    assert!(
        first.contains("BATCH-0") && first.contains("試験 一子"),
        "{first}"
    );
    assert!(first.contains("1 / 1"), "{first}");
    let second = pdf_page_text(&path, 2);
    assert!(
        second.contains("BATCH-1") && second.contains("1 / 1"),
        "{second}"
    );
    let last = pdf_page_text(&path, single_pages);
    assert!(last.contains("退院時サマリー"), "{last}");
}

#[test]
fn a_bad_batch_fails_whole_and_names_the_problem() {
    let (_dir, mut app) = app();
    let mut ids = three_records(&mut app);
    assert_eq!(
        app.pdf_many(&[], &mut |_| {}).unwrap_err().code(),
        "bad_input"
    );
    ids.insert(1, "no-such-record".into());
    let e = app.pdf_many(&ids, &mut |_| {}).unwrap_err();
    assert_eq!(e.code(), "record_not_found");
    assert!(e.to_string().contains("no-such-record"), "{e}");
    let many = vec![ids[0].clone(); hikae_app::MAX_BATCH + 1];
    assert!(app
        .pdf_many(&many, &mut |_| {})
        .unwrap_err()
        .to_string()
        .contains("at most"));
}

#[test]
fn an_unknown_printer_is_refused_naming_the_ones_there_are() {
    let e = hikae_app::print::print_pdf(b"%PDF-1.7", "no-such-printer-3F", "test", 1).unwrap_err();
    assert_eq!(e.code(), "print_failed");
    assert!(
        e.to_string().contains("no-such-printer-3F") || e.to_string().contains("no printer"),
        "{e}"
    );
}

/// Prints to the CUPS queue named by HIKAE_TEST_PRINTER: a cups-pdf printer, which the
/// README's test command sets up (scripts/cups-test-printer.sh). cups-pdf writes each job as
/// a PDF under ~/PDF; the job must complete with every page printed.
#[test]
fn prints_to_a_real_cups_queue() {
    let Ok(printer) = std::env::var("HIKAE_TEST_PRINTER") else {
        eprintln!("HIKAE_TEST_PRINTER not set: real printing not tested (scripts/test.sh sets it)");
        return;
    };
    let listed = hikae_app::print::printers().expect("printers");
    assert!(listed.iter().any(|p| p.name == printer), "{listed:?}");

    let (dir, mut app) = app();
    let ids = three_records(&mut app);
    let pdf = app.pdf_many(&ids, &mut |_| {}).expect("batch");
    let out_dir = std::path::PathBuf::from(std::env::var("HOME").expect("HOME")).join("PDF");
    let before: Vec<_> = std::fs::read_dir(&out_dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let title = format!("hikae-test-{}", std::process::id());
    let job = hikae_app::print::print_pdf(&pdf.bytes, &printer, &title, 1).expect("print");
    assert!(job.starts_with(&printer), "{job}");

    let start = Instant::now();
    let printed = loop {
        let done = Command::new("lpstat")
            .args(["-W", "completed", "-o", &printer])
            .env("LC_ALL", "C")
            .output()
            .expect("lpstat");
        let new: Vec<_> = std::fs::read_dir(&out_dir)
            .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !before.contains(p) && p.to_string_lossy().contains(&title))
            .collect();
        if String::from_utf8_lossy(&done.stdout).contains(&job) && new.len() == 1 {
            break new[0].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "job {job} did not complete"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // the printed copy is re-rendered by the print system; its pages must all be there
    assert_eq!(pdf_pages(&printed), pdf.pages);
    let _ = std::fs::remove_file(&printed);
    drop(dir);
}
