//! The ward snapshot: fetching a read-only copy of the configured wards' inpatients from the
//! hospital's FHIR server, and reading that copy back as a census and patient summaries.
//!
//! A refresh is two requests, each one FHIR `batch` Bundle of searches:
//! 1. per ward, the in-progress Encounters at its Location with their Patient, Locations
//!    (ward, bed) and participants (attending) included;
//! 2. for the patients new to the copy, their active AllergyIntolerance, MedicationRequest and
//!    Condition, recent vital signs and Hikae's downtime DocumentReferences; for the patients
//!    already in it, the same searches without status filters and with `_lastUpdated` after
//!    the previous refresh (a resource that is no longer active is then removed from the copy).
//!
//! The answer is checked before anything is kept: every resource must be of the type asked
//! for, have a valid id, and belong to a patient that was asked about; any problem refuses
//! the whole refresh with a message naming the entry, and the copy stays as it was.
//!
//! Architecture Invariant: fetching never touches the store; it returns a [`WardFetch`] the
//! app hands to the store in one transaction. Reading ([`census_row`], [`summary`]) is pure.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Value};

use hikae_domain::config::{is_fhir_id, SnapshotConfig};
use hikae_domain::error::{Error, Result};
use hikae_domain::snapshot::{
    Allergy, CensusRow, DowntimeDocument, Medication, PatientSummary, Problem, Vital,
};

use crate::fhir::HIKAE_TAG_SYSTEM;
use crate::Client;

/// Most one answer may be (a 40-bed ward with full histories is a few MiB).
const MAX_REPLY: u64 = 64 * 1024 * 1024;
/// Patients per search (keeps URLs well under common server limits).
const CHUNK: usize = 40;
/// A refresh with no full one in this long is made full (deletions on the server, which
/// searches do not show, are then caught up).
pub const FULL_EVERY_HOURS: i64 = 12;

/// What the copy already holds for one ward, to ask only for what changed.
#[derive(Debug, Clone, Default)]
pub struct WardKnown {
    pub ward: String,
    /// When the last successful refresh started, and the last full one.
    pub as_of: Option<DateTime<Utc>>,
    pub full_at: Option<DateTime<Utc>>,
    /// The server's clock at the last refresh (changes are asked for after it).
    pub server_as_of: Option<DateTime<Utc>>,
    /// Server Patient ids in the copy.
    pub patients: HashSet<String>,
}

/// One ward's inpatient, as fetched.
#[derive(Debug, Clone)]
pub struct FetchedPatient {
    pub patient: String,
    pub bed: Option<String>,
    pub attending: Option<String>,
    pub patient_json: Value,
    pub encounter_json: Value,
}

/// A resource for the copy: `patient` is the server Patient id it belongs to; `dated` the
/// clinical time used for retention (vital signs, documents).
#[derive(Debug, Clone)]
pub struct FetchedResource {
    pub kind: String,
    pub id: String,
    pub patient: String,
    pub dated: Option<DateTime<Utc>>,
    pub last_updated: Option<DateTime<Utc>>,
    pub json: Value,
}

/// A ward's refresh, ready for the store.
#[derive(Debug, Clone)]
pub struct WardFetch {
    pub ward: String,
    pub ward_name: Option<String>,
    /// When this refresh started (its data is at least this fresh).
    pub started: DateTime<Utc>,
    /// The server's clock when it answered the census.
    pub server_time: Option<DateTime<Utc>>,
    /// Whether everything was fetched again (the store then drops what was not).
    pub full: bool,
    /// Every current inpatient: the store removes the ward's patients not listed (discharged).
    pub patients: Vec<FetchedPatient>,
    pub put: Vec<FetchedResource>,
    /// (type, id) no longer active: removed from the copy.
    pub remove: Vec<(String, String)>,
}

/// A refresh of all configured wards.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub wards: Vec<WardFetch>,
    pub requests: usize,
    pub bytes: u64,
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub(crate) fn q(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b',') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // FHIR dates without a time: midnight JST is close enough for retention
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc() - Duration::hours(9))
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// `Patient/abc` → `abc` (also from an absolute URL ending in `/Patient/abc`).
fn ref_id<'a>(v: &'a Value, kind: &str) -> Option<&'a str> {
    let r = v["reference"].as_str()?;
    let (_, tail) = r.rsplit_once(&format!("{kind}/"))?;
    let id = tail.split('/').next()?;
    is_fhir_id(id).then_some(id)
}

/// Where in the answer a problem is, for the error.
fn at(search: &str, i: usize) -> String {
    format!("the answer to `{search}`, entry {}", i + 1)
}

/// The resources of a searchset answer (match and include), checked.
pub(crate) fn searchset<'a>(answer: &'a Value, search: &str) -> Result<Vec<(&'a Value, bool)>> {
    let status = answer["response"]["status"].as_str().unwrap_or("");
    if !status.starts_with("200") {
        return Err(Error::Input(format!(
            "the server answered {status:?} to `{search}`{}",
            answer["response"]["outcome"]["issue"][0]["diagnostics"]
                .as_str()
                .or(answer["resource"]["issue"][0]["diagnostics"].as_str())
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
    }
    let bundle = &answer["resource"];
    if bundle["resourceType"] != "Bundle" {
        return Err(Error::Input(format!(
            "the answer to `{search}` is not a Bundle"
        )));
    }
    if bundle["link"]
        .as_array()
        .is_some_and(|l| l.iter().any(|l| l["relation"] == "next"))
    {
        return Err(Error::Input(format!(
            "the answer to `{search}` has more pages; Hikae asks for all at once (_count) and does not follow paging yet"
        )));
    }
    let entries = match &bundle["entry"] {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        _ => {
            return Err(Error::Input(format!(
                "the answer to `{search}`: entry is not a list"
            )))
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let r = &e["resource"];
        let kind = r["resourceType"].as_str().unwrap_or("");
        let id = r["id"].as_str().unwrap_or("");
        if kind.is_empty() || !is_fhir_id(id) {
            return Err(Error::Input(format!(
                "{}: a resource without a valid resourceType and id",
                at(search, i)
            )));
        }
        out.push((r, e["search"]["mode"] == "include"));
    }
    Ok(out)
}

/// The display name of a Practitioner (or anyone with a HumanName).
fn person_name(r: &Value) -> Option<String> {
    let names = r["name"].as_array()?;
    let n = names
        .iter()
        .find(|n| representation(n) == Some("IDE"))
        .or_else(|| names.first())?;
    human_name(n)
}

fn representation(n: &Value) -> Option<&str> {
    n["extension"].as_array()?.iter().find_map(|x| {
        (x["url"] == "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation")
            .then(|| x["valueCode"].as_str())
            .flatten()
    })
}

fn human_name(n: &Value) -> Option<String> {
    if let Some(t) = str_of(&n["text"]) {
        return Some(t);
    }
    let family = str_of(&n["family"]).unwrap_or_default();
    let given: Vec<String> = n["given"]
        .as_array()
        .map(|g| g.iter().filter_map(str_of).collect())
        .unwrap_or_default();
    let s = format!("{family} {}", given.join(" ")).trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn location_is_bed(l: &Value) -> bool {
    l["physicalType"]["coding"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["code"] == "bd" || c["code"] == "ro"))
}

/// The census search of request 1, one per ward.
pub fn census_search(ward: &str) -> String {
    format!(
        "Encounter?status=in-progress&location=Location/{}&_include=Encounter:subject&_include=Encounter:location&_include=Encounter:participant&_count=1000",
        q(ward)
    )
}

/// Fetches every ward of `cfg`; `known` is what the copy holds per ward.
pub fn fetch(
    client: &Client,
    cfg: &SnapshotConfig,
    patient_system: &str,
    known: &[WardKnown],
    now: DateTime<Utc>,
) -> Result<Fetched> {
    cfg.check()?;
    if cfg.wards.is_empty() {
        return Err(Error::Input(
            "config.toml [snapshot] wards is empty: name the ward Locations to keep a copy of"
                .into(),
        ));
    }
    let cutoff = now - Duration::hours(cfg.retention_hours as i64);
    let mut requests = 0;
    let mut bytes = 0;
    // 1: who is in each ward
    let searches: Vec<String> = cfg.wards.iter().map(|w| census_search(w)).collect();
    let entries = searches
        .iter()
        .map(|s| json!({"request": {"method": "GET", "url": s}}))
        .collect();
    let (answers, n, server_time) = client.batch(entries, MAX_REPLY)?;
    requests += 1;
    bytes += n;
    let mut wards = Vec::new();
    for ((ward, search), answer) in cfg.wards.iter().zip(&searches).zip(&answers) {
        let mut w = census_of(ward, search, answer, now)?;
        w.server_time = server_time;
        wards.push(w);
    }
    // 2: what we keep about each patient
    let mut gets: Vec<(String, usize, bool)> = Vec::new(); // (search, ward index, incremental)
                                                           // the documents' window: None until a ward is seen; Some(None): everything in retention
    let mut doc_since: Option<Option<DateTime<Utc>>> = None;
    for (wi, w) in wards.iter_mut().enumerate() {
        let k = known.iter().find(|k| k.ward == w.ward);
        // changes since the previous refresh by the server's clock (ours if it gave none),
        // less the overlap: re-reading a resource is harmless, it replaces itself
        let since = k
            .and_then(|k| k.server_as_of.or(k.as_of))
            .filter(|_| {
                k.and_then(|k| k.full_at)
                    .is_some_and(|f| now - f < Duration::hours(FULL_EVERY_HOURS))
            })
            .map(|t| t - Duration::seconds(cfg.overlap_secs as i64));
        w.full = since.is_none();
        let (old, new): (Vec<&FetchedPatient>, Vec<&FetchedPatient>) = w
            .patients
            .iter()
            .partition(|p| since.is_some() && k.is_some_and(|k| k.patients.contains(&p.patient)));
        let ids = |ps: &[&FetchedPatient]| -> Vec<String> {
            ps.iter().map(|p| p.patient.clone()).collect()
        };
        let (old, new) = (ids(&old), ids(&new));
        let old: Vec<&str> = old.iter().map(String::as_str).collect();
        let new: Vec<&str> = new.iter().map(String::as_str).collect();
        for chunk in new.chunks(CHUNK) {
            for s in clinical_searches(chunk, None, cutoff) {
                gets.push((s, wi, false));
            }
        }
        if let Some(since) = since {
            for chunk in old.chunks(CHUNK) {
                for s in clinical_searches(chunk, Some(since), cutoff) {
                    gets.push((s, wi, true));
                }
            }
        }
        // a ward with patients new to the copy needs all their documents, not only changes
        doc_since = match (doc_since, since) {
            (Some(Some(a)), Some(b)) if new.is_empty() => Some(Some(a.min(b))),
            (None, Some(b)) if new.is_empty() => Some(Some(b)),
            _ => Some(None),
        };
    }
    // Hikae's downtime records, written on any PC: their subject is the hospital's patient ID
    // (a logical reference), so they are found by tag, once for all wards, and kept only for
    // the wards' own patients
    let mut s = format!(
        "DocumentReference?_tag={}&date=ge{}&_count=1000",
        q(&format!("{HIKAE_TAG_SYSTEM}|downtime-record")),
        q(&ts(cutoff))
    );
    let doc_since = doc_since.flatten();
    if let Some(since) = doc_since {
        s.push_str(&format!("&_lastUpdated=gt{}", q(&ts(since))));
    }
    gets.push((s, DOCS, doc_since.is_some()));
    let entries = gets
        .iter()
        .map(|(s, _, _)| json!({"request": {"method": "GET", "url": s}}))
        .collect();
    let (answers, n, _) = client.batch(entries, MAX_REPLY)?;
    requests += 1;
    bytes += n;
    // every ward's patients by their hospital patient ID (the identifier in patient_system)
    let by_id: HashMap<String, (usize, String)> = wards
        .iter()
        .enumerate()
        .flat_map(|(wi, w)| {
            w.patients.iter().filter_map(move |p| {
                hospital_id(&p.patient_json, patient_system).map(|id| (id, (wi, p.patient.clone())))
            })
        })
        .collect();
    for ((search, wi, incremental), answer) in gets.iter().zip(&answers) {
        let kind = search.split('?').next().unwrap_or("");
        if *wi == DOCS {
            for (i, (r, _)) in searchset(answer, search)?.into_iter().enumerate() {
                if r["resourceType"] != "DocumentReference" {
                    return Err(Error::Input(format!(
                        "{}: a {} where only DocumentReference was asked for",
                        at(search, i),
                        r["resourceType"].as_str().unwrap_or("?")
                    )));
                }
                // not one of the wards' patients (or not by their hospital ID): not kept
                let Some((w, patient)) = doc_patient(r, &by_id, patient_system) else {
                    continue;
                };
                let id = r["id"].as_str().unwrap_or_default().to_string();
                if active(kind, r) {
                    wards[w].put.push(FetchedResource {
                        kind: kind.to_string(),
                        id,
                        patient,
                        dated: dated(kind, r),
                        last_updated: time(&r["meta"]["lastUpdated"]),
                        json: r.clone(),
                    });
                } else if *incremental {
                    wards[w].remove.push((kind.to_string(), id));
                }
            }
            continue;
        }
        let w = &mut wards[*wi];
        let asked: HashSet<&str> = w.patients.iter().map(|p| p.patient.as_str()).collect();
        for (i, (r, _)) in searchset(answer, search)?.into_iter().enumerate() {
            if r["resourceType"] != kind {
                return Err(Error::Input(format!(
                    "{}: a {} where only {kind} was asked for",
                    at(search, i),
                    r["resourceType"].as_str().unwrap_or("?")
                )));
            }
            let id = r["id"].as_str().unwrap_or_default().to_string();
            let field = if kind == "AllergyIntolerance" {
                &r["patient"]
            } else {
                &r["subject"]
            };
            let patient = match ref_id(field, "Patient") {
                Some(p) if asked.contains(p) => p.to_string(),
                _ => {
                    return Err(Error::Input(format!(
                        "{}: {kind}/{id} is about a patient that was not asked for",
                        at(search, i)
                    )))
                }
            };
            if active(kind, r) {
                w.put.push(FetchedResource {
                    kind: kind.to_string(),
                    id,
                    patient,
                    dated: dated(kind, r),
                    last_updated: time(&r["meta"]["lastUpdated"]),
                    json: r.clone(),
                });
            } else if *incremental {
                w.remove.push((kind.to_string(), id));
            }
        }
    }
    Ok(Fetched {
        wards,
        requests,
        bytes,
    })
}

/// Request 2's searches for `patients` (server Patient ids): all of them when `since` is none (active only),
/// else what changed since (any status).
pub fn clinical_searches(
    patients: &[&str],
    since: Option<DateTime<Utc>>,
    cutoff: DateTime<Utc>,
) -> Vec<String> {
    let list = patients
        .iter()
        .map(|p| format!("Patient/{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let changed = since
        .map(|t| format!("&_lastUpdated=gt{}", q(&ts(t))))
        .unwrap_or_default();
    let only = |filter: &'static str| if since.is_none() { filter } else { "" };
    vec![
        format!(
            "AllergyIntolerance?patient={list}{}{changed}&_count=1000",
            only("&clinical-status=active")
        ),
        format!(
            "MedicationRequest?subject={list}{}{changed}&_count=1000",
            only("&status=active")
        ),
        format!(
            "Condition?subject={list}{}{changed}&_count=1000",
            only("&clinical-status=active")
        ),
        format!(
            "Observation?subject={list}&category=vital-signs&date=ge{}{changed}&_count=1000",
            q(&ts(cutoff))
        ),
    ]
}

fn census_of(ward: &str, search: &str, answer: &Value, now: DateTime<Utc>) -> Result<WardFetch> {
    let resources = searchset(answer, search)?;
    let mut included: HashMap<(String, String), &Value> = HashMap::new();
    let mut encounters = Vec::new();
    for (i, (r, include)) in resources.into_iter().enumerate() {
        let kind = r["resourceType"].as_str().unwrap_or_default();
        let id = r["id"].as_str().unwrap_or_default();
        match (kind, include) {
            ("Encounter", false) => encounters.push((i, r)),
            (
                "Patient" | "Location" | "Practitioner" | "PractitionerRole" | "RelatedPerson",
                true,
            ) => {
                included.insert((kind.to_string(), id.to_string()), r);
            }
            (k, _) => {
                return Err(Error::Input(format!(
                    "{}: a {k} where only Encounters and what they name were asked for",
                    at(search, i)
                )))
            }
        }
    }
    let get = |kind: &str, id: &str| included.get(&(kind.to_string(), id.to_string())).copied();
    let ward_name = get("Location", ward).and_then(|l| str_of(&l["name"]));
    let mut patients: BTreeMap<String, FetchedPatient> = BTreeMap::new();
    for (i, e) in encounters {
        let eid = e["id"].as_str().unwrap_or_default();
        if e["status"] != "in-progress" {
            return Err(Error::Input(format!(
                "{}: Encounter/{eid} is not in progress, though only those were asked for",
                at(search, i)
            )));
        }
        let Some(pid) = ref_id(&e["subject"], "Patient") else {
            return Err(Error::Input(format!(
                "{}: Encounter/{eid} has no subject Patient reference",
                at(search, i)
            )));
        };
        let Some(p) = get("Patient", pid) else {
            return Err(Error::Input(format!(
                "{}: Encounter/{eid} names Patient/{pid}, which the answer does not include",
                at(search, i)
            )));
        };
        // Encounter.location is a history: only entries still current count (a patient moved
        // to another ward, or bed, within the same stay is there now, not here)
        let current: Vec<&Value> = e["location"]
            .as_array()
            .map(|ls| {
                ls.iter()
                    .filter(|l| {
                        !matches!(l["status"].as_str(), Some("completed" | "planned"))
                            && l["period"]["end"].is_null()
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !current
            .iter()
            .any(|l| ref_id(&l["location"], "Location") == Some(ward))
        {
            // the server's search matched a past stay at this ward: not an inpatient here now
            let _ = i;
            continue;
        }
        let locations: Vec<&Value> = current
            .iter()
            .filter_map(|l| ref_id(&l["location"], "Location"))
            .filter_map(|id| get("Location", id))
            .collect();
        let bed = locations
            .iter()
            .rev()
            .find(|l| location_is_bed(l) && l["id"] != ward)
            .or_else(|| locations.iter().rev().find(|l| l["id"] != ward))
            .and_then(|l| str_of(&l["name"]));
        let attending = e["participant"].as_array().and_then(|ps| {
            let is_attending = |p: &&Value| {
                p["type"].as_array().is_some_and(|t| {
                    t.iter().any(|t| {
                        t["coding"]
                            .as_array()
                            .is_some_and(|c| c.iter().any(|c| c["code"] == "ATND"))
                    })
                })
            };
            let p = ps.iter().find(is_attending).or_else(|| ps.first())?;
            ref_id(&p["individual"], "Practitioner")
                .and_then(|id| get("Practitioner", id))
                .and_then(person_name)
                .or_else(|| str_of(&p["individual"]["display"]))
        });
        // a patient with two open Encounters at the ward (a transfer in progress) is listed
        // once, with the newer one
        let newer = patients.get(pid).is_none_or(|old| {
            old.encounter_json["period"]["start"].as_str() < e["period"]["start"].as_str()
        });
        if newer {
            patients.insert(
                pid.to_string(),
                FetchedPatient {
                    patient: pid.to_string(),
                    bed,
                    attending,
                    patient_json: p.clone(),
                    encounter_json: e.clone(),
                },
            );
        }
    }
    Ok(WardFetch {
        ward: ward.to_string(),
        ward_name,
        started: now,
        server_time: None,
        full: true,
        patients: patients.into_values().collect(),
        put: Vec::new(),
        remove: Vec::new(),
    })
}

/// Marks the one search of a refresh that is for all wards (Hikae's documents).
const DOCS: usize = usize::MAX;

/// The hospital patient ID of a Patient: its identifier in `patient_system`, nothing else.
fn hospital_id(p: &Value, patient_system: &str) -> Option<String> {
    p["identifier"]
        .as_array()?
        .iter()
        .find(|i| i["system"] == patient_system)
        .and_then(|i| str_of(&i["value"]))
}

/// The ward (index) and patient a Hikae DocumentReference is about: by a reference to one of
/// the wards' Patients, or by the hospital patient ID in `patient_system`.
fn doc_patient(
    r: &Value,
    by_id: &HashMap<String, (usize, String)>,
    patient_system: &str,
) -> Option<(usize, String)> {
    if let Some(p) = ref_id(&r["subject"], "Patient") {
        return by_id.values().find(|(_, v)| v.as_str() == p).cloned();
    }
    let subject = &r["subject"]["identifier"];
    if subject["system"] != patient_system {
        return None;
    }
    by_id.get(subject["value"].as_str()?).cloned()
}

/// Whether a resource belongs in the copy by its status.
fn active(kind: &str, r: &Value) -> bool {
    let coded = |v: &Value, code: &str| {
        v["coding"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["code"] == code))
    };
    match kind {
        "AllergyIntolerance" => {
            // FHIR leaves clinicalStatus out of an allergy entered in error
            !coded(&r["verificationStatus"], "entered-in-error")
                && !coded(&r["verificationStatus"], "refuted")
                && (r["clinicalStatus"].is_null() || coded(&r["clinicalStatus"], "active"))
        }
        "Condition" => {
            coded(&r["clinicalStatus"], "active")
                || coded(&r["clinicalStatus"], "recurrence")
                || coded(&r["clinicalStatus"], "relapse")
        }
        "MedicationRequest" => r["status"] == "active",
        "Observation" => matches!(
            r["status"].as_str(),
            Some("final" | "amended" | "corrected" | "preliminary")
        ),
        "DocumentReference" => r["status"] == "current",
        _ => false,
    }
}

/// The clinical time of a vital sign or document (for retention).
fn dated(kind: &str, r: &Value) -> Option<DateTime<Utc>> {
    match kind {
        "Observation" => time(&r["effectiveDateTime"])
            .or_else(|| time(&r["effectivePeriod"]["start"]))
            .or_else(|| time(&r["issued"])),
        "DocumentReference" => time(&r["date"]),
        _ => None,
    }
}

/// The census row of a patient in the copy. `allergies` and `last_updated` come from the
/// patient's resources; `patient_system` picks the hospital's patient ID.
#[allow(clippy::too_many_arguments)]
pub fn census_row(
    patient: &str,
    ward: &str,
    ward_name: Option<&str>,
    bed: Option<&str>,
    attending: Option<&str>,
    patient_json: &Value,
    encounter_json: &Value,
    allergies: usize,
    last_updated: Option<DateTime<Utc>>,
    patient_system: &str,
) -> CensusRow {
    let p = patient_json;
    let names = p["name"].as_array().cloned().unwrap_or_default();
    let kanji = names
        .iter()
        .find(|n| representation(n) == Some("IDE"))
        .or_else(|| names.iter().find(|n| representation(n).is_none()))
        .or_else(|| names.first())
        .and_then(human_name);
    let kana = names
        .iter()
        .find(|n| representation(n) == Some("SYL"))
        .and_then(human_name);
    let ids = p["identifier"].as_array().cloned().unwrap_or_default();
    // only the hospital's patient ID: another identifier (insurance, another system) would
    // file records under the wrong patient
    let patient_id = ids
        .iter()
        .find(|i| i["system"] == patient_system)
        .and_then(|i| str_of(&i["value"]));
    let updated = [
        time(&p["meta"]["lastUpdated"]),
        time(&encounter_json["meta"]["lastUpdated"]),
        last_updated,
    ]
    .into_iter()
    .flatten()
    .max();
    CensusRow {
        patient: patient.to_string(),
        patient_id,
        name: kanji.unwrap_or_else(|| "（氏名なし）".into()),
        kana,
        birth_date: p["birthDate"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        age: None,
        gender: str_of(&p["gender"]),
        ward: ward.to_string(),
        ward_name: ward_name.map(String::from),
        bed: bed.map(String::from),
        admitted: str_of(&encounter_json["period"]["start"]),
        attending: attending.map(String::from),
        reason: reasons(&encounter_json["reasonCode"]),
        department: words(&encounter_json["serviceType"]),
        complaint: complaints(&encounter_json["diagnosis"]),
        allergies,
        last_updated: updated,
    }
}

/// The chief complaints of an Encounter (JP-CLINS): its `diagnosis` entries with use `CC`, by
/// `rank`, each as the text on the Condition reference (the complaint's Condition is usually
/// resolved by the time of a summary, so not among the active problems in the copy).
fn complaints(v: &Value) -> Option<String> {
    let mut cc: Vec<(i64, String)> = v
        .as_array()?
        .iter()
        .filter(|d| {
            d["use"]["coding"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["code"] == "CC" && diagnosis_role(c)))
        })
        .filter_map(|d| {
            let text = str_of(&d["condition"]["display"])?;
            Some((d["rank"].as_i64().unwrap_or(i64::MAX), text))
        })
        .collect();
    cc.sort_by_key(|(rank, _)| *rank);
    (!cc.is_empty()).then(|| {
        cc.into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// A coding of `http://terminology.hl7.org/CodeSystem/diagnosis-role`, or without a system.
fn diagnosis_role(c: &Value) -> bool {
    c["system"].is_null() || c["system"] == "http://terminology.hl7.org/CodeSystem/diagnosis-role"
}

/// The texts of an Encounter's `reasonCode` list, one per line (the EHR may give several).
fn reasons(v: &Value) -> Option<String> {
    let all: Vec<String> = v.as_array()?.iter().filter_map(words).collect();
    (!all.is_empty()).then(|| all.join("\n"))
}

/// The words of a CodeableConcept: its text, else the first coding's display; never a bare
/// code (a department code "01" would be no department to a reader).
fn words(v: &Value) -> Option<String> {
    str_of(&v["text"]).or_else(|| {
        v["coding"]
            .as_array()?
            .iter()
            .find_map(|c| str_of(&c["display"]))
    })
}

/// The text of a CodeableConcept: its text, else the first coding's display or code.
fn concept(v: &Value) -> Option<String> {
    str_of(&v["text"]).or_else(|| {
        v["coding"]
            .as_array()?
            .iter()
            .find_map(|c| str_of(&c["display"]).or_else(|| str_of(&c["code"])))
    })
}

fn quantity(v: &Value) -> Option<(String, Option<String>)> {
    let n = v["value"].as_f64()?;
    let value = if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    };
    Some((value, str_of(&v["unit"]).or_else(|| str_of(&v["code"]))))
}

/// A patient's summary from the copy: allergies first, then medications, problems, the
/// latest value of each vital sign, and downtime documents (newest first).
pub fn summary(row: CensusRow, resources: &[Value]) -> PatientSummary {
    let mut allergies = Vec::new();
    let mut medications = Vec::new();
    let mut problems = Vec::new();
    let mut vitals: BTreeMap<String, (Option<DateTime<Utc>>, Vital)> = BTreeMap::new();
    let mut documents = Vec::new();
    for r in resources {
        match r["resourceType"].as_str().unwrap_or_default() {
            "AllergyIntolerance" => allergies.push(Allergy {
                text: concept(&r["code"]).unwrap_or_else(|| "（内容不明のアレルギー）".into()),
                criticality: str_of(&r["criticality"]),
                reaction: r["reaction"].as_array().and_then(|rs| {
                    let m: Vec<String> = rs
                        .iter()
                        .flat_map(|x| x["manifestation"].as_array().cloned().unwrap_or_default())
                        .filter_map(|m| concept(&m))
                        .collect();
                    (!m.is_empty()).then(|| m.join("、"))
                }),
                recorded: str_of(&r["recordedDate"]),
            }),
            "MedicationRequest" => {
                let d = &r["dosageInstruction"][0];
                let dosage = str_of(&d["text"]).or_else(|| {
                    let dose = quantity(&d["doseAndRate"][0]["doseQuantity"])
                        .map(|(v, u)| format!("{v}{}", u.unwrap_or_default()));
                    let timing = concept(&d["timing"]["code"]);
                    let s = [dose, timing]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    (!s.is_empty()).then_some(s)
                });
                medications.push(Medication {
                    text: concept(&r["medicationCodeableConcept"])
                        .or_else(|| str_of(&r["medicationReference"]["display"]))
                        .unwrap_or_else(|| "（薬剤名なし）".into()),
                    dosage,
                    route: concept(&d["route"]),
                    since: str_of(&r["authoredOn"]),
                })
            }
            "Condition" => {
                let c = &r["code"]["coding"][0];
                problems.push(Problem {
                    text: concept(&r["code"]).unwrap_or_else(|| "（病名なし）".into()),
                    system: str_of(&c["system"]),
                    code: str_of(&c["code"]),
                    onset: str_of(&r["onsetDateTime"]).or_else(|| str_of(&r["onsetString"])),
                })
            }
            "Observation" => {
                let code = r["code"]["coding"]
                    .as_array()
                    .and_then(|c| c.iter().find(|c| c["system"] == "http://loinc.org"))
                    .and_then(|c| str_of(&c["code"]));
                let label = concept(&r["code"]).unwrap_or_else(|| "（項目名なし）".into());
                let value = if let Some((v, u)) = quantity(&r["valueQuantity"]) {
                    Some((v, u))
                } else if let Some(s) = str_of(&r["valueString"]) {
                    Some((s, None))
                } else if let Some(c) = concept(&r["valueCodeableConcept"]) {
                    Some((c, None))
                } else {
                    // blood pressure and the like: "120/80 mmHg"
                    let parts: Vec<(String, Option<String>)> = r["component"]
                        .as_array()
                        .map(|cs| {
                            cs.iter()
                                .filter_map(|c| quantity(&c["valueQuantity"]))
                                .collect()
                        })
                        .unwrap_or_default();
                    (!parts.is_empty()).then(|| {
                        (
                            parts
                                .iter()
                                .map(|p| p.0.clone())
                                .collect::<Vec<_>>()
                                .join("/"),
                            parts[0].1.clone(),
                        )
                    })
                };
                let Some((value, unit)) = value else { continue };
                let when = dated("Observation", r);
                let key = code.clone().unwrap_or_else(|| label.clone());
                let v = Vital {
                    code,
                    label,
                    value,
                    unit,
                    at: when.map(ts),
                };
                if vitals.get(&key).is_none_or(|(t, _)| *t < when) {
                    vitals.insert(key, (when, v));
                }
            }
            "DocumentReference" => {
                let text = r["content"].as_array().and_then(|cs| {
                    cs.iter().find_map(|c| {
                        let a = &c["attachment"];
                        if !a["contentType"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("text/plain"))
                        {
                            return None;
                        }
                        use base64::Engine;
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(a["data"].as_str()?)
                            .ok()?;
                        String::from_utf8(bytes).ok()
                    })
                });
                documents.push((
                    time(&r["date"]),
                    DowntimeDocument {
                        title: concept(&r["type"])
                            .or_else(|| str_of(&r["description"]))
                            .unwrap_or_else(|| "（表題なし）".into()),
                        date: str_of(&r["date"]),
                        author: r["author"][0]["display"].as_str().map(String::from),
                        text,
                    },
                ));
            }
            _ => {}
        }
    }
    // the most dangerous first: high criticality allergies lead
    allergies.sort_by_key(|a| a.criticality.as_deref() != Some("high"));
    documents.sort_by_key(|d| std::cmp::Reverse(d.0));
    PatientSummary {
        row,
        as_of_label: String::new(),
        allergies,
        medications,
        problems,
        vitals: vitals.into_values().map(|(_, v)| v).collect(),
        documents: documents.into_iter().map(|(_, d)| d).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            q("urn:hikae:tag|downtime-record"),
            "urn%3Ahikae%3Atag%7Cdowntime-record"
        );
        assert_eq!(q("2026-12-01T00:00:00Z"), "2026-12-01T00%3A00%3A00Z");
        assert_eq!(q("5階"), "5%E9%9A%8E");
    }

    #[test]
    fn references_must_be_to_the_kind_and_a_valid_id() {
        assert_eq!(
            ref_id(&json!({"reference": "Patient/p1"}), "Patient"),
            Some("p1")
        );
        assert_eq!(
            ref_id(
                &json!({"reference": "https://ehr/fhir/Patient/p1/_history/2"}),
                "Patient"
            ),
            Some("p1")
        );
        assert_eq!(ref_id(&json!({"reference": "Group/p1"}), "Patient"), None);
        assert_eq!(
            ref_id(&json!({"reference": "Patient/a b"}), "Patient"),
            None
        );
    }

    #[test]
    fn the_latest_vital_sign_of_each_kind_is_kept() {
        let obs = |code: &str, at: &str, v: f64| {
            json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": code}], "text": "体温"},
                "effectiveDateTime": at, "valueQuantity": {"value": v, "unit": "℃"}})
        };
        let bp = json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}], "text": "血圧"},
            "effectiveDateTime": "2026-12-01T09:00:00+09:00",
            "component": [{"valueQuantity": {"value": 128, "unit": "mmHg"}}, {"valueQuantity": {"value": 76, "unit": "mmHg"}}]});
        let row = census_row(
            "p1",
            "w",
            None,
            None,
            None,
            &json!({}),
            &json!({}),
            0,
            None,
            "s",
        );
        let s = summary(
            row,
            &[
                obs("8310-5", "2026-12-01T06:00:00+09:00", 37.8),
                obs("8310-5", "2026-12-01T10:00:00+09:00", 36.9),
                bp,
            ],
        );
        assert_eq!(s.vitals.len(), 2);
        let t = s
            .vitals
            .iter()
            .find(|v| v.code.as_deref() == Some("8310-5"))
            .expect("temp");
        assert_eq!(t.value, "36.9");
        let b = s
            .vitals
            .iter()
            .find(|v| v.code.as_deref() == Some("85354-9"))
            .expect("bp");
        assert_eq!(
            (b.value.as_str(), b.unit.as_deref()),
            ("128/76", Some("mmHg"))
        );
    }

    #[test]
    fn the_stay_gives_its_reasons_and_department_as_the_ehr_wrote_them() {
        let row = |e: Value| census_row("p1", "w", None, None, None, &json!({}), &e, 0, None, "s");
        let e = json!({"reasonCode": [
                {"text": "肺炎の加療"},
                {"coding": [{"system": "http://snomed.info/sct", "code": "1", "display": "脱水症"}]},
                {"text": "  "}],
            "serviceType": {"coding": [{"code": "01", "display": "内科"}], "text": "呼吸器内科"}});
        let r = row(e);
        assert_eq!(r.reason.as_deref(), Some("肺炎の加療\n脱水症"));
        assert_eq!(r.department.as_deref(), Some("呼吸器内科"));
        // absent, or not the shape FHIR gives: nothing, never a guess
        // a bare code is not words: no department "01"
        let r = row(json!({"reasonCode": [{"coding": [{"code": "J189"}]}],
            "serviceType": {"coding": [{"system": "urn:oid:1.2.392.100495.20.2.51", "code": "01"}]}}));
        assert_eq!((r.reason, r.department), (None, None));
        let r = row(json!({"reasonCode": "肺炎", "serviceType": [1]}));
        assert_eq!((r.reason, r.department), (None, None));
        assert_eq!(row(json!({"reasonCode": []})).reason, None);
        // the chief complaint: diagnosis entries with use CC, by rank; other uses are not it
        let cc = |code: &str, rank: i64, text: &str| {
            json!({"condition": {"reference": "Condition/c1", "display": text},
                "use": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/diagnosis-role", "code": code}]},
                "rank": rank})
        };
        let r = row(
            json!({"diagnosis": [cc("AD", 1, "肺炎"), cc("CC", 2, "息切れ"), cc("CC", 1, "発熱"),
            {"condition": {"reference": "Condition/c2"}, "use": {"coding": [{"code": "CC"}]}}]}),
        );
        assert_eq!(r.complaint.as_deref(), Some("発熱\n息切れ"));
        assert_eq!(
            row(json!({"diagnosis": [cc("AD", 1, "肺炎")]})).complaint,
            None
        );
    }
}
