//! The ward snapshot against a real FHIR R4 engine (Medplum's, tests/fhir-server) seeded with
//! a fictional 40-bed ward (tests/support/ward.rs): first and incremental refresh, discharge,
//! retention, the server failing mid-refresh, and hostile answers, which leave the copy as it
//! was.

mod common;
#[path = "support/fhir.rs"]
mod fhir_server;
#[path = "support/ward.rs"]
mod ward;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::*;
use fhir_server::FhirServer;
use hikae_app::audit::Action;
use hikae_app::{AuditQuery, Hikae};
use serde_json::{json, Value};

fn configure(app: &Hikae, endpoint: &str, extra: &str) {
    let text = format!(
        "[sync]\nendpoint = \"{endpoint}\"\npatient_system = \"{}\"\nproduction = false\n[snapshot]\nwards = [\"{}\"]\n{OVERLAP}{extra}",
        ward::PATIENT_SYSTEM,
        ward::WARD
    );
    std::fs::write(app.data_dir().join("config.toml"), text).expect("config");
}

fn seeded() -> (FhirServer, Vec<ward::Bed>) {
    let server = FhirServer::start();
    let (entries, beds) = ward::ward(7, 40, chrono::Utc::now());
    ward::seed(&server.base(), entries);
    // the tests' incremental refreshes overlap by 1 s (OVERLAP): let the seeding fall before
    std::thread::sleep(std::time::Duration::from_millis(2100));
    (server, beds)
}

/// Tests ask for changes with a 1 s overlap (the default 60 s would re-read the seeding).
const OVERLAP: &str = "overlap_secs = 1\n";

fn put(server: &FhirServer, resource: Value) {
    ward::seed(
        &server.base(),
        vec![
            json!({"request": {"method": "PUT", "url": format!("{}/{}", resource["resourceType"].as_str().expect("type"), resource["id"].as_str().expect("id"))}, "resource": resource}),
        ],
    );
}

fn get(server: &FhirServer, path: &str) -> Value {
    let mut r = ureq::get(format!("{}/{path}", server.base()))
        .call()
        .expect("get");
    serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("json")
}

fn snapshot_entries(app: &Hikae) -> Vec<String> {
    app.audit_entries(&AuditQuery {
        action: Some(Action::SnapshotRefresh),
        ..AuditQuery::default()
    })
    .expect("audit")
    .into_iter()
    .map(|e| e.event.detail.unwrap_or_default())
    .collect()
}

/// Rows of the copy in the database itself (not through the app's reads, which purge).
fn stored(app: &Hikae, table: &str) -> i64 {
    app.test_store()
        .raw_connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

#[test]
fn the_first_refresh_copies_the_whole_ward_in_two_requests() {
    let (server, beds) = seeded();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    let r = app.refresh_snapshot().expect("refresh");
    assert!(r.full);
    assert_eq!(
        r.requests, 2,
        "one batch for the census, one for the clinical resources"
    );
    assert_eq!((r.patients, r.admitted, r.discharged), (40, 40, 0));

    let census = app.census().expect("census");
    assert_eq!(census.rows.len(), 40);
    assert_eq!(census.wards.len(), 1);
    assert_eq!(census.wards[0].name.as_deref(), Some(ward::WARD_NAME));
    for b in &beds {
        let row = census
            .rows
            .iter()
            .find(|r| r.patient == b.patient)
            .unwrap_or_else(|| panic!("{} in the census", b.patient));
        assert_eq!(row.name, b.name);
        assert_eq!(row.kana.as_deref(), Some(b.kana.as_str()));
        assert_eq!(row.patient_id.as_deref(), Some(b.patient_id.as_str()));
        assert_eq!(row.bed.as_deref(), Some(b.bed.as_str()));
        assert_eq!(row.allergies, b.allergies.len());
        assert!(row
            .attending
            .as_deref()
            .is_some_and(|a| a.ends_with("医師")));
        assert!(row.birth_date.is_some() && row.gender.is_some() && row.admitted.is_some());
    }
    // a patient with allergies: allergies first, every medication, problems, latest vitals
    let b = beds
        .iter()
        .find(|b| !b.allergies.is_empty())
        .expect("a bed with allergies");
    let s = app.patient_summary(&b.patient).expect("summary");
    let mut got: Vec<&str> = s.allergies.iter().map(|a| a.text.as_str()).collect();
    let mut want: Vec<&str> = b.allergies.iter().map(String::as_str).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(s.medications.len(), b.medications);
    assert!(s.medications.iter().all(|m| m.dosage.is_some()));
    assert_eq!(s.problems.len(), b.problems.len());
    assert!(s
        .problems
        .iter()
        .all(|p| p.code.is_some() && p.system.is_some()));
    assert_eq!(
        s.vitals.len(),
        2,
        "temperature and blood pressure, the latest of each"
    );
    assert!(s
        .vitals
        .iter()
        .any(|v| v.value.contains('/') && v.unit.as_deref() == Some("mmHg")));

    // each refresh and each view is audited
    assert_eq!(snapshot_entries(&app).len(), 1);
    let views = app
        .audit_entries(&AuditQuery {
            action: Some(Action::View),
            ..AuditQuery::default()
        })
        .expect("audit");
    assert!(views
        .iter()
        .any(|e| e.event.detail.as_deref() == Some("snapshot census: 40 patients")));
    assert!(views.iter().any(
        |e| e.event.detail.as_deref() == Some("snapshot patient summary")
            && e.event.patient_id.as_deref() == Some(b.patient_id.as_str())
    ));
    assert!(app.audit_check().expect("verify").findings.is_empty());
}

#[test]
fn an_incremental_refresh_brings_changes_removes_what_stopped_and_drops_the_discharged() {
    let (server, beds) = seeded();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    app.refresh_snapshot().expect("first");
    // five patients change on the server
    let p = |i: usize| beds[i].patient.clone();
    put(
        &server,
        json!({"resourceType": "AllergyIntolerance", "id": "new-allergy",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
        "criticality": "high", "code": {"text": "セフェム系抗菌薬"}, "patient": {"reference": format!("Patient/{}", p(1))}}),
    );
    let mut med = get(&server, "MedicationRequest/w5e-m02-0");
    med["status"] = json!("stopped");
    put(&server, med);
    put(
        &server,
        json!({"resourceType": "Observation", "id": "new-temp", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}], "text": "体温"},
        "subject": {"reference": format!("Patient/{}", p(3))},
        "effectiveDateTime": chrono::Utc::now().to_rfc3339(), "valueQuantity": {"value": 39.4, "unit": "℃"}}),
    );
    let mut pt = get(&server, &format!("Patient/{}", p(4)));
    pt["name"][0]["text"] = json!("架空 改名");
    put(&server, pt);
    let mut enc = get(&server, &format!("Encounter/{}", beds[5].encounter));
    enc["status"] = json!("finished");
    put(&server, enc);
    // a transfer within the same stay: the ward's entry is completed, another ward's active
    let mut moved = get(&server, &format!("Encounter/{}", beds[6].encounter));
    moved["location"][0]["status"] = json!("completed");
    moved["location"][1]["status"] = json!("completed");
    moved["location"]
        .as_array_mut()
        .expect("locations")
        .push(json!({"location": {"reference": "Location/ward-6w"}, "status": "active"}));
    put(&server, moved);
    // an allergy retracted as entered in error (FHIR then leaves clinicalStatus out)
    // (a bed after the five changed above)
    let with_allergy = (7..beds.len())
        .find(|&i| beds[i].allergies.len() == 1)
        .expect("a patient with one allergy");
    let mut retracted = get(
        &server,
        &format!("AllergyIntolerance/w5e-a{with_allergy:02}-0"),
    );
    retracted
        .as_object_mut()
        .expect("object")
        .remove("clinicalStatus");
    retracted["verificationStatus"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error"}]});
    put(&server, retracted);

    let r = app.refresh_snapshot().expect("incremental");
    assert!(!r.full, "the second refresh asks only for changes");
    assert_eq!(r.requests, 2);
    assert_eq!(
        (r.patients, r.admitted, r.discharged),
        (38, 0, 2),
        "discharged and transferred"
    );
    assert!(r.removed >= 1, "the stopped medication left the copy");
    assert!(
        r.resources < 20,
        "only what changed came again: {}",
        r.resources
    );

    let census = app.census().expect("census");
    assert_eq!(census.rows.len(), 38);
    assert!(
        !census.rows.iter().any(|r| r.patient == p(5)),
        "discharged patient gone"
    );
    assert!(
        !census.rows.iter().any(|r| r.patient == p(6)),
        "transferred patient gone"
    );
    let gone = app
        .patient_summary(&beds[with_allergy].patient)
        .expect("summary");
    assert!(
        gone.allergies.is_empty(),
        "the retracted allergy left the copy"
    );
    let s1 = app.patient_summary(&p(1)).expect("p1");
    assert_eq!(
        s1.allergies[0].text, "セフェム系抗菌薬",
        "a high-criticality allergy leads"
    );
    let s2 = app.patient_summary(&p(2)).expect("p2");
    assert_eq!(s2.medications.len(), beds[2].medications - 1);
    let s3 = app.patient_summary(&p(3)).expect("p3");
    assert!(s3.vitals.iter().any(|v| v.value == "39.4"));
    assert_eq!(
        app.patient_summary(&p(4)).expect("p4").row.name,
        "架空 改名"
    );
    let e = app.patient_summary(&p(5)).expect_err("discharged");
    assert!(e.to_string().contains("not in the ward snapshot"), "{e}");
    // the discharged patient's resources are deleted, not only hidden
    let left: i64 = app
        .test_store()
        .raw_connection()
        .query_row(
            "SELECT count(*) FROM snapshot_resources WHERE patient = ?1",
            [p(5)],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0);
}

#[test]
fn a_copy_past_its_retention_is_deleted_even_without_the_network() {
    let (server, _beds) = seeded();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "retention_hours = 72\n");
    app.refresh_snapshot().expect("refresh");
    drop(server);
    assert!(stored(&app, "snapshot_resources") > 40 * 8);
    // 73 hours pass without a refresh
    app.test_store()
        .raw_connection()
        .execute_batch(
            "UPDATE snapshot_patients SET confirmed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-73 hours');
             UPDATE snapshot_wards SET as_of = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-73 hours');",
        )
        .expect("backdate");
    let census = app.census().expect("census");
    assert!(census.rows.is_empty() && census.wards.is_empty());
    assert_eq!(stored(&app, "snapshot_patients"), 0);
    assert_eq!(stored(&app, "snapshot_resources"), 0);
    assert!(snapshot_entries(&app)
        .iter()
        .any(|d| d.starts_with("snapshot purge")));
    assert!(app.audit_check().expect("verify").findings.is_empty());
}

/// An HTTP front for the real server that changes its answers: `script[i]` gets the i-th
/// request's real answer (status, body) and returns what to send, or `None` to cut the
/// connection.
/// One scripted answer: the real (status, body) in, what to send out (or `None`: cut).
type Step = Box<dyn Fn(u16, String) -> Option<(u16, String)> + Send>;
type Script = Vec<Step>;

fn scripted(upstream: String, script: Script) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let script = Arc::new(Mutex::new((0usize, script)));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let script = script.clone();
            let upstream = upstream.clone();
            std::thread::spawn(move || serve(conn, &upstream, &script));
        }
    });
    addr
}

fn serve(conn: TcpStream, upstream: &str, script: &Mutex<(usize, Script)>) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut resp = ureq::post(upstream)
            .header("Content-Type", "application/fhir+json")
            .send(&body[..])
            .expect("upstream");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("body");
        let out = {
            let mut s = script.lock().expect("lock");
            let i = s.0;
            s.0 += 1;
            match s.1.get(i) {
                Some(f) => f(status, text),
                None => Some((status, text)),
            }
        };
        let Some((status, text)) = out else {
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n\r\n",
            text.len()
        );
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

fn pass() -> Step {
    Box::new(|s, t| Some((s, t)))
}

/// A refresh against `script`, after a good first refresh: it must fail with an error
/// containing `expect`, and leave the copy exactly as it was.
fn refused_leaves_the_copy(script: Script, expect: &str) {
    let (server, _beds) = seeded();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    app.refresh_snapshot().expect("first");
    let before = app.census().expect("census");
    let dump = |app: &Hikae| -> Vec<String> {
        let conn = app.test_store().raw_connection();
        let mut st = conn
            .prepare("SELECT type || '/' || id || json FROM snapshot_resources ORDER BY 1")
            .expect("prepare");
        st.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let resources = dump(&app);
    // something changed on the server, so a refresh that went through would show it
    let mut pt = get(&server, "Patient/w5e-p00");
    pt["name"][0]["text"] = json!("架空 変更後");
    put(&server, pt);
    let front = scripted(server.base(), script);
    configure(&app, &format!("http://{front}"), "");
    let e = app.refresh_snapshot().expect_err("refused");
    assert!(e.to_string().contains(expect), "{e}");
    let after = app.census().expect("census");
    assert_eq!(after.rows, before.rows, "the census is untouched");
    assert_eq!(after.wards, before.wards, "and keeps its age");
    assert_eq!(dump(&app), resources, "every resource is as it was");
    assert!(snapshot_entries(&app)
        .iter()
        .any(|d| d.starts_with("snapshot refresh failed")));
}

#[test]
fn the_server_failing_mid_refresh_leaves_the_old_copy_intact() {
    refused_leaves_the_copy(vec![pass(), Box::new(|_, _| None)], "");
}

#[test]
fn a_server_error_mid_refresh_is_named() {
    refused_leaves_the_copy(
        vec![
            pass(),
            Box::new(|_, _| {
                Some((503, r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"maintenance"}]}"#.into()))
            }),
        ],
        "503",
    );
}

#[test]
fn hostile_answers_are_refused_with_where_and_what() {
    // not JSON
    refused_leaves_the_copy(
        vec![Box::new(|_, _| Some((200, "<html>login</html>".into())))],
        "not JSON",
    );
    // an allergy of a patient nobody asked about, slipped into the answer
    refused_leaves_the_copy(
        vec![
            pass(),
            Box::new(|s, t| {
                let mut v: Value = serde_json::from_str(&t).expect("json");
                v["entry"][0]["resource"]["entry"] = json!([{"resource": {
                    "resourceType": "AllergyIntolerance", "id": "slipped-in",
                    "patient": {"reference": "Patient/someone-else"}, "code": {"text": "卵"}}}]);
                Some((s, v.to_string()))
            }),
        ],
        "is about a patient that was not asked for",
    );
    // a census entry of another type
    refused_leaves_the_copy(
        vec![Box::new(|s, t| {
            let mut v: Value = serde_json::from_str(&t).expect("json");
            v["entry"][0]["resource"]["entry"][0]["resource"] =
                json!({"resourceType": "Observation", "id": "x"});
            Some((s, v.to_string()))
        })],
        "entry 1: a Observation where only Encounters",
    );
    // fewer answers than searches
    refused_leaves_the_copy(
        vec![
            pass(),
            Box::new(|s, t| {
                let mut v: Value = serde_json::from_str(&t).expect("json");
                v["entry"].as_array_mut().expect("entries").pop();
                Some((s, v.to_string()))
            }),
        ],
        "not a batch-response",
    );
    // a resource id that is no FHIR id
    refused_leaves_the_copy(
        vec![
            pass(),
            Box::new(|s, t| {
                let mut v: Value = serde_json::from_str(&t).expect("json");
                v["entry"][1]["resource"]["entry"] = json!([{"resource": {
                    "resourceType": "MedicationRequest", "id": "../../etc", "status": "active",
                    "subject": {"reference": "Patient/w5e-p00"}}}]);
                Some((s, v.to_string()))
            }),
        ],
        "without a valid resourceType and id",
    );
}

#[test]
fn nothing_is_fetched_without_wards_and_bad_settings_are_named() {
    let (_dir, mut app) = app();
    std::fs::write(
        app.data_dir().join("config.toml"),
        "[sync]\nendpoint = \"http://127.0.0.1:9\"\n[snapshot]\nwards = []\n",
    )
    .expect("config");
    let e = app.refresh_snapshot().expect_err("no wards");
    assert!(e.to_string().contains("[snapshot] wards is empty"), "{e}");
    std::fs::write(
        app.data_dir().join("config.toml"),
        "[sync]\nendpoint = \"http://127.0.0.1:9\"\n[snapshot]\nwards = [\"5階/東\"]\n",
    )
    .expect("config");
    let e = app.refresh_snapshot().expect_err("bad ward");
    assert!(e.to_string().contains("not a FHIR Location id"), "{e}");
    // the census of a PC that never refreshed is empty, not an error
    std::fs::write(app.data_dir().join("config.toml"), "").expect("config");
    assert!(app.census().expect("census").rows.is_empty());
}

#[test]
fn the_copy_is_inside_the_encrypted_store() {
    let (server, beds) = seeded();
    let (dir, _key) = secured();
    let mut app = unlocked(dir.path(), "N0001", "333333");
    configure(&app, &server.base(), "");
    app.refresh_snapshot().expect("refresh");
    assert_eq!(app.census().expect("census").rows.len(), 40);
    drop(app);
    // no name, kana or patient ID of the copy is readable in any file of the data folder
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir.path()).expect("dir").flatten() {
        if e.path().is_file() {
            files.push(std::fs::read(e.path()).expect("read"));
        }
    }
    for b in &beds {
        for needle in [b.name.as_str(), b.kana.as_str(), b.patient_id.as_str()] {
            let n = needle.as_bytes();
            assert!(
                !files.iter().any(|f| f.windows(n.len()).any(|w| w == n)),
                "{needle} is in a file in clear"
            );
        }
    }
}

#[test]
fn the_cli_refreshes_and_shows_the_census_and_a_patient() {
    let (server, beds) = seeded();
    let dir = tempfile::tempdir().expect("tempdir");
    let first = cli(dir.path(), &["status"]);
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[sync]\nendpoint = \"{}\"\npatient_system = \"{}\"\nproduction = false\n[snapshot]\nwards = [\"{}\"]\n",
            server.base(),
            ward::PATIENT_SYSTEM,
            ward::WARD
        ),
    )
    .expect("config");
    let o = cli(dir.path(), &["snapshot", "refresh"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("ward-5e (full): 40 patients, 40 admitted"),
        "{}",
        stdout(&o)
    );
    let o = cli(dir.path(), &["snapshot", "census"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("電子カルテの控え") && out.contains("40 patients"),
        "{out}"
    );
    for b in &beds {
        assert!(
            out.contains(&b.name) && out.contains(&b.bed),
            "{} in {out}",
            b.name
        );
    }
    // by the hospital patient ID
    let b = &beds[0];
    let o = cli(dir.path(), &["snapshot", "show", &b.patient_id]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&b.name)
            && out.contains("アレルギー:")
            && out.contains(&format!("診療科: {}", b.department))
            && out.contains(&format!("入院理由: {}", b.reason))
            && out.contains(&format!("主訴: {}", b.complaint)),
        "{out}"
    );
    let o = cli(dir.path(), &["snapshot", "show", "00000000"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not in the ward snapshot"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_print_pack_leads_with_the_census_and_a_page_per_patient() {
    let (server, beds) = seeded();
    let dir = tempfile::tempdir().expect("tempdir");
    let first = cli(dir.path(), &["status"]);
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[sync]\nendpoint = \"{}\"\npatient_system = \"{}\"\nproduction = false\n[snapshot]\nwards = [\"{}\"]\n",
            server.base(),
            ward::PATIENT_SYSTEM,
            ward::WARD
        ),
    )
    .expect("config");
    let o = cli(dir.path(), &["snapshot", "refresh"]);
    assert!(o.status.success(), "{}", stderr(&o));
    drop(server); // the pack is made with the network gone
    let outdir = tempfile::tempdir().expect("tempdir");
    let out = outdir.path().join("pack.pdf");
    let o = cli(
        dir.path(),
        &[
            "print-pack",
            "--snapshot",
            "--template",
            "sbar-handover",
            "--no-procedures",
            "--no-contacts",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let pages = pdf_pages(&out);
    if std::env::var("KEEP_PACK").is_ok() {
        std::fs::copy(&out, "/tmp/pack.pdf").expect("copy");
    }
    let census_pages = (1..=pages)
        .take_while(|&i| pdf_page_text(&out, i).contains("入院患者一覧"))
        .count();
    assert!(census_pages >= 1, "the census comes first");
    let census: String = (1..=census_pages).map(|i| pdf_page_text(&out, i)).collect();
    assert!(
        census.contains("電子カルテの控え") && census.contains("時点"),
        "{census}"
    );
    for b in &beds {
        assert!(
            census.contains(&b.patient_id),
            "{} on the census",
            b.patient_id
        );
    }
    // then one summary page per patient, then the blank forms for the same 40 patients
    let summaries: Vec<String> = (census_pages + 1..=census_pages + 40)
        .map(|i| pdf_page_text(&out, i))
        .collect();
    assert!(summaries
        .iter()
        .all(|t| t.contains("患者サマリー（控え）") && t.contains("電子カルテの控え")));
    let b = beds
        .iter()
        .find(|b| !b.allergies.is_empty())
        .expect("allergies");
    let page = summaries
        .iter()
        .find(|t| t.contains(&b.patient_id))
        .expect("the patient's page");
    for a in &b.allergies {
        assert!(page.contains(a.as_str()), "{a} on {page}");
    }
    let flat: String = page.split_whitespace().collect();
    let reason: String = b.reason.split_whitespace().collect();
    assert!(
        flat.contains(&b.department) && flat.contains(&reason) && flat.contains(&b.complaint),
        "the stay's department and reason on {page}"
    );
    assert!(
        page.find("アレルギー") < page.find("内服・注射"),
        "allergies before medications"
    );
    assert!(
        summaries.iter().all(|t| t.contains("1 / 1")),
        "each summary is one page, even with ten medications"
    );
    let forms = pages - census_pages - 40;
    assert!(
        forms >= 40 && forms.is_multiple_of(40),
        "then the blank SBAR form for each of the 40: {forms} pages"
    );
}

#[test]
fn a_record_started_from_the_census_fills_itself_in_every_built_in_template() {
    let (server, beds) = seeded();
    let (_dir, mut app) = app();
    configure(&app, &server.base(), "");
    app.refresh_snapshot().expect("refresh");
    let b = beds
        .iter()
        .find(|b| !b.allergies.is_empty())
        .expect("a patient with allergies");
    let ids: Vec<String> = app
        .templates()
        .iter()
        .map(|t| t.template().form.id.clone())
        .collect();
    assert!(ids.len() >= 11, "{ids:?}");
    let mut filled_somewhere = 0;
    for id in &ids {
        let rec = app
            .new_record_from_snapshot(id, &b.patient, "看護師 見本")
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        // the real identity, from the copy, in every template
        assert_eq!(rec.patient.id, b.patient_id, "{id}");
        assert_eq!(rec.patient.name, b.name, "{id}");
        let p = rec.context.prefill.clone().expect("prefill mark");
        for f in &p.fields {
            assert!(rec.values.contains_key(f), "{id}: {f} is marked and filled");
        }
        filled_somewhere += usize::from(!p.fields.is_empty());
        // prefilled values are ordinary draft values: they save and edit like typed ones
        let (saved, _) = app.update(&rec.id, rec.values.clone()).expect("save");
        assert_eq!(saved.values, rec.values, "{id}");
        let pdf = app.pdf(&rec.id).expect("pdf");
        let dir = tempfile::tempdir().expect("tempdir");
        let text = poppler(
            "pdftotext",
            &[
                write_pdf(dir.path(), "r.pdf", &pdf.bytes)
                    .to_str()
                    .expect("utf-8"),
                "-",
            ],
        );
        let flat: String = text.split_whitespace().collect();
        assert!(
            flat.contains("電子カルテの控え（"),
            "{id}: the footer names the copy: {text}"
        );
        if !p.fields.is_empty() {
            assert!(flat.contains("から転記"), "{id}: {text}");
            // every prefilled field is named in the footer, none cut off
            let listed = format!(
                "患者ID・氏名・{}（転記後に確認・編集可）",
                p.labels.join("・")
            );
            assert!(
                flat.contains(&listed),
                "{id}: {listed} in the footer: {text}"
            );
        }
    }
    assert!(
        filled_somewhere >= 7,
        "most templates take fields from the copy"
    );

    // the discharge summary, field by field
    let rec = app
        .new_record_from_snapshot("discharge-summary", &b.patient, "医師 見本")
        .expect("discharge summary");
    let allergies = rec.values["allergies"].as_str().expect("allergies");
    for a in &b.allergies {
        assert!(allergies.contains(a.as_str()), "{a} in {allergies}");
    }
    let meds = rec.values["discharge_meds"].as_array().expect("meds");
    assert_eq!(meds.len(), b.medications);
    assert!(meds
        .iter()
        .all(|m| m["drug"].as_str().is_some_and(|d| !d.is_empty())
            && m["usage"].as_str().is_some_and(|d| !d.is_empty())));
    for pr in &b.problems {
        assert!(rec.values["admission_diagnosis"]
            .as_str()
            .expect("dx")
            .contains(pr.as_str()));
    }
    assert!(rec.values["ward"].as_str() == Some(ward::WARD_NAME));
    // the stay as the EHR wrote it: department, reason for admission; the problems still
    // active start the discharge diagnoses
    assert_eq!(
        rec.values["department"].as_str(),
        Some(b.department.as_str())
    );
    assert_eq!(
        rec.values["admission_reason"].as_str(),
        Some(b.reason.as_str())
    );
    assert_eq!(
        rec.values["chief_complaint"].as_str(),
        Some(b.complaint.as_str())
    );
    for pr in &b.problems {
        assert!(rec.values["discharge_diagnosis"]
            .as_str()
            .is_some_and(|d| d.contains(pr.as_str())));
    }
    let marked = rec.context.prefill.clone().expect("mark").fields;
    assert_eq!(
        marked[..4],
        ["admission_date", "department", "ward", "attending"],
        "named in the form's order"
    );
    for f in [
        "department",
        "chief_complaint",
        "admission_reason",
        "discharge_diagnosis",
    ] {
        assert!(marked.iter().any(|m| m == f), "{f} marked in {marked:?}");
    }
    assert!(rec.values["attending"]
        .as_str()
        .is_some_and(|a| a.ends_with("医師")));
    assert!(rec.values["admission_date"]
        .as_str()
        .is_some_and(|d| d.starts_with("2026/11/")));
    // a patient with no allergy recorded gets an empty field, never "なし"
    let none = beds
        .iter()
        .find(|b| b.allergies.is_empty())
        .expect("no allergies");
    let rec = app
        .new_record_from_snapshot("discharge-summary", &none.patient, "医師 見本")
        .expect("discharge summary");
    assert!(!rec.values.contains_key("allergies"));
    // a patient not in the copy cannot be started from it
    let e = app
        .new_record_from_snapshot("discharge-summary", "not-here", "医師 見本")
        .expect_err("not in copy");
    assert!(e.to_string().contains("not in the ward snapshot"), "{e}");
}

#[test]
fn pack_check_names_an_unknown_prefill_source_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let pack = dir.path().join("pack");
    let copy = std::process::Command::new("cp")
        .args(["-r"])
        .arg(&src)
        .arg(&pack)
        .status()
        .expect("cp");
    assert!(copy.success());
    let toml = std::fs::read_to_string(pack.join("pack.toml")).expect("pack.toml");
    let toml = toml
        .replace("ward = \"encounter.ward\"", "ward = \"encounter.floor\"")
        .replace(
            "room = \"encounter.bed\"",
            "room = \"encounter.bed\"\nshoe_size = \"patient.name\"",
        );
    std::fs::write(pack.join("pack.toml"), &toml).expect("write");
    let line_of = |needle: &str| {
        toml.lines()
            .position(|l| l.starts_with(needle))
            .expect("line")
            + 1
    };
    let data = tempfile::tempdir().expect("tempdir");
    let out = cli(
        data.path(),
        &["pack", "check", pack.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "pack.toml:{}: [template.prefill] of 'discharge-summary': ward = \"encounter.floor\": unknown source",
            line_of("ward = \"encounter.floor\"")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "pack.toml:{}: [template.prefill] of 'sbar-handover': 'shoe_size': no such field",
            line_of("shoe_size")
        )),
        "{err}"
    );
}

#[test]
fn a_handover_written_at_another_pc_is_readable_in_the_next_shifts_snapshot() {
    let (server, beds) = seeded();
    let b = &beds[3];
    // PC 1: an SBAR handover for the patient, finalized and synced
    let (_d1, mut pc1) = app();
    configure(&pc1, &server.base(), "");
    let f = demo_fixture("sbar-handover");
    let mut values = f.values.clone();
    values.insert(
        "situation".into(),
        json!("夜間に38.4℃の発熱、悪寒あり。解熱剤使用。"),
    );
    let rec = pc1
        .new_record(
            "sbar-handover",
            hikae_app::record::Patient {
                id: b.patient_id.clone(),
                name: b.name.clone(),
            },
            "看護師 見本",
            values,
        )
        .expect("draft");
    pc1.finalize(&rec.id, "看護師 試験").expect("finalize");
    let client = pc1.sync_client().expect("client");
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let host = hikae_app::sync::Direct(std::cell::RefCell::new(&mut pc1));
    let out = hikae_app::sync::run(
        &host,
        &client,
        &hikae_app::sync::Options::default(),
        &cancel,
        |_| {},
    )
    .expect("sync");
    assert_eq!(out.progress.acknowledged, 1, "{out:?}");
    // PC 2: the next shift's snapshot shows it, with its text
    let (_d2, mut pc2) = app();
    configure(&pc2, &server.base(), "");
    pc2.refresh_snapshot().expect("refresh");
    let s = pc2.patient_summary(&b.patient).expect("summary");
    assert_eq!(s.documents.len(), 1, "{:?}", s.documents);
    let d = &s.documents[0];
    assert!(
        d.title.contains("SBAR") || d.title.contains("申し送り"),
        "{}",
        d.title
    );
    assert!(
        d.text.as_deref().is_some_and(|t| t.contains("38.4℃の発熱")),
        "{:?}",
        d.text
    );
    // other patients' summaries do not show it
    assert!(pc2
        .patient_summary(&beds[4].patient)
        .expect("other")
        .documents
        .is_empty());
}
