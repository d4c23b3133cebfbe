//! The headless CLI, run as a real process: the main job, errors and exit codes.

mod common;

use common::*;

fn new_sbar(data: &std::path::Path) -> String {
    let out = cli(
        data,
        &[
            "new",
            "sbar-handover",
            "--patient-id",
            "DEMO-7",
            "--patient-name",
            "架空 七子",
            "--author",
            "看護師 見本",
            "situation=転倒なし",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn demo_writes_japanese_pdfs_into_the_folder_it_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path(), &["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let folder = text
        .lines()
        .find_map(|l| l.strip_prefix("PDFs written to "))
        .expect("prints the folder");
    let pdfs: Vec<_> = std::fs::read_dir(folder)
        .expect("folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    assert_eq!(
        pdfs.len(),
        hikae_app::demo::fixtures().expect("fixtures").len()
    );
    for p in &pdfs {
        let t = poppler("pdftotext", &[p.to_str().expect("path"), "-"]);
        assert!(t.contains("ダウンタイム時作成"), "{}", p.display());
    }
    // the records are in the data dir and listed
    let list = stdout(&cli(dir.path(), &["list", "--status", "finalized"]));
    let finalized = hikae_app::demo::fixtures()
        .expect("fixtures")
        .iter()
        .filter(|f| f.final_reviewer.is_some())
        .count();
    assert_eq!(list.lines().count(), finalized, "{list}");
}

#[test]
fn the_record_lifecycle_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = new_sbar(dir.path());
    let values = dir.path().join("v.json");
    std::fs::write(&values, r#"{"handover_at": "2026/11/21 16:30", "from_staff": "見本", "background": "術後1日目",
        "assessment": "安定", "recommendation": "20時に疼痛評価", "tasks": [{"time": "20:00", "task": "疼痛評価"}]}"#).expect("write");
    let out = cli(
        dir.path(),
        &["set", &id[..8], "--from", values.to_str().expect("p")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(dir.path(), &["validate", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(dir.path(), &["finalize", &id, "--reviewer", "看護師 見本"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(dir.path(), &["set", &id, "situation=変更"]);
    assert_eq!(
        out.status.code(),
        Some(6),
        "finalized records cannot change: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("correction"));
    let text = stdout(&cli(dir.path(), &["render", &id, "--text", "-"]));
    assert!(
        text.contains("S：転倒なし") && text.contains("・20:00 疼痛評価"),
        "{text}"
    );
    let html = stdout(&cli(dir.path(), &["render", &id, "--html", "-"]));
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<h1>申し送り（SBAR）</h1>"));
    let found = stdout(&cli(dir.path(), &["search", "疼痛"]));
    assert!(found.contains("DEMO-7"), "{found}");
    let out = cli(
        dir.path(),
        &[
            "correct",
            &id,
            "--reason",
            "受け手の記入漏れ",
            "--author",
            "看護師 見本",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&cli(dir.path(), &["list", "--patient", "DEMO-7"]));
    assert!(list.contains("v2") && list.contains("v1"), "{list}");
}

#[test]
fn bad_input_gets_a_clear_error_and_the_right_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = new_sbar(dir.path());

    let out = cli(dir.path(), &["set", &id, "situaton=typo"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("situaton: no such field"),
        "{}",
        stderr(&out)
    );

    let out = cli(dir.path(), &["set", &id, "tasks=not json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("tasks (次勤務帯への依頼事項): expected a JSON array"),
        "{}",
        stderr(&out)
    );

    let out = cli(dir.path(), &["finalize", &id, "--reviewer", "x"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("background (B：背景): required"),
        "{}",
        stderr(&out)
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"situation\": \"a\",\n  oops\n}").expect("write");
    let out = cli(
        dir.path(),
        &["set", &id, "--from", bad.to_str().expect("p")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("bad.json:3:"),
        "names file and line: {}",
        stderr(&out)
    );

    let out = cli(
        dir.path(),
        &["show", "00000000-0000-4000-8000-000000000000"],
    );
    assert_eq!(out.status.code(), Some(4));
    let out = cli(
        dir.path(),
        &[
            "new",
            "no-such-template",
            "--patient-id",
            "1",
            "--patient-name",
            "x",
            "--author",
            "y",
        ],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("hikae templates"));
    let out = cli(
        dir.path(),
        &[
            "new",
            "sbar-handover",
            "--patient-id",
            "1",
            "--patient-name",
            "x",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --author is a usage error"
    );
    let out = cli(dir.path(), &["list", "--status", "done"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("draft or finalized"));

    // nothing saved was lost by any of the above
    let show = stdout(&cli(dir.path(), &["show", &id, "--json"]));
    assert!(show.contains("転倒なし"), "{show}");
}

#[test]
fn help_is_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    for cmd in [
        "templates",
        "new",
        "set",
        "show",
        "validate",
        "finalize",
        "correct",
        "render",
        "list",
        "search",
        "demo",
    ] {
        let out = cli(dir.path(), &[cmd, "--help"]);
        assert!(out.status.success(), "{cmd} --help");
        assert!(stdout(&out).contains("Usage:"), "{cmd}");
    }
    let out = cli(dir.path(), &["--help"]);
    assert!(stdout(&out).contains("Exit codes"));
    let t = stdout(&cli(dir.path(), &["templates"]));
    assert!(t.contains("退院時サマリー") && t.contains("用途:"), "{t}");
}

#[test]
fn a_closed_stdout_ends_the_cli_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path(), &["demo", "--bulk", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // ~110 KB of list: more than a pipe holds (64 KiB), so writes go on after the reader left
    let mut child = Command::new(hikae_bin())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["list", "--limit", "100000"])
        .env("HIKAE_DEMO", "1")
        .env_remove("HIKAE_DATA_DIR")
        .env_remove("HIKAE_USER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hikae");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read a line");
    // the reader is dropped: the pipe is closed, as by `hikae list | head -1`
    let out = child.wait_with_output().expect("wait for hikae");
    assert!(first.contains("LOAD-"), "{first}");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
