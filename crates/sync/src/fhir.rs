//! FHIR R4 resources for a finalized record (mapping in docs/FHIR.md):
//! - a DocumentReference carrying the printed PDF (size and SHA-1 over the exact bytes), for
//!   every record;
//! - for templates whose pack mapping names a JP-CLINS document (eDischargeSummary,
//!   eReferral), also a document Bundle shaped after JP-CLINS: Composition first, the form's
//!   fields as narrative sections (codes from the pack), the PDF under section 230.
//!
//! Each is sent as a conditional create on the record's stable identifier
//! `urn:ietf:rfc:3986|urn:uuid:<record id>`, with a fresh `fullUrl` UUID that never equals it.

use base64::Engine;
use chrono::Datelike;
use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};

use hikae_domain::audit::ts;
use hikae_domain::fhirmap::{section_name, FhirMap, DOCUMENTS, TOP_LEVEL};
use hikae_domain::form::FormDef;
use hikae_domain::record::Record;

pub const DOC_TYPE_SYSTEM: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes";
pub const DOC_SUBTYPE_SYSTEM: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes";
pub const SECTION_SYSTEM: &str = "http://jpfhir.jp/fhir/clins/CodeSystem/document-section";
pub const BUNDLE_ID_SYSTEM: &str = "http://jpfhir.jp/fhir/clins/bundle-identifier";
pub const INSTANCE_ID_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier";
pub const VERSION_EXTENSION: &str =
    "http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber";
/// Hikae's own marker on everything it sends (so the EHR can tell downtime records apart).
pub const HIKAE_TAG_SYSTEM: &str = "urn:hikae:tag";

/// Where the records are filed: the hospital's identifiers.
#[derive(Debug, Clone)]
pub struct Site {
    /// Identifier system of patient IDs.
    pub patient_system: String,
    /// 保険医療機関番号 (10 digits), for JP-CLINS document identifiers.
    pub institution_no: Option<String>,
    pub institution_name: Option<String>,
}

/// `urn:ietf:rfc:3986|urn:uuid:<id>` as an Identifier.
pub fn record_identifier(record_id: &str) -> Value {
    json!({"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{record_id}")})
}

/// The search that finds what was already sent for a record (for `ifNoneExist`).
pub fn record_search(record_id: &str) -> String {
    format!("identifier=urn:ietf:rfc:3986|urn:uuid:{record_id}")
}

/// A `fullUrl` for one entry: a fresh UUID, never the record's own id.
fn full_url() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}

fn map_or_default(map: Option<&FhirMap>) -> (String, String) {
    match map {
        Some(m) => (m.loinc.clone(), m.loinc_display.clone()),
        None => ("34109-9".into(), "Note".into()),
    }
}

/// The DocumentReference for `record` with its printed PDF attached, and its plain text
/// (`text`, the pack's record.txt) as a second attachment, so another ward PC's snapshot can
/// show a handover without opening the PDF. `superseded`: a later version replaces this one.
pub fn document_reference(
    record: &Record,
    map: Option<&FhirMap>,
    title: &str,
    pdf: &[u8],
    text: Option<&str>,
    site: &Site,
    superseded: bool,
) -> Value {
    let (code, display) = map_or_default(map);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut doc = json!({
        "resourceType": "DocumentReference",
        "meta": {"tag": [{"system": HIKAE_TAG_SYSTEM, "code": "downtime-record", "display": "ダウンタイム時作成（Hikae 控え）"}]},
        "identifier": [record_identifier(&record.id)],
        "status": if superseded { "superseded" } else { "current" },
        "docStatus": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}], "text": title},
        "subject": subject(record, site),
        "date": ts(record.finalized_at.unwrap_or(record.updated_at)),
        "author": [{"display": record.author}],
        "description": format!("{title}（ダウンタイム時作成・Hikae 控え、第{}版）", record.version),
        "content": [{
            "attachment": {
                "contentType": "application/pdf",
                "language": "ja",
                "data": b64.encode(pdf),
                "size": pdf.len(),
                "hash": b64.encode(Sha1::digest(pdf)),
                "title": format!("{title}.pdf"),
                "creation": ts(record.created_at),
            }
        }],
    });
    if let (Some(t), Some(content)) = (text, doc["content"].as_array_mut()) {
        let bytes = t.as_bytes();
        content.push(json!({
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "ja",
                "data": b64.encode(bytes),
                "size": bytes.len(),
                "hash": b64.encode(Sha1::digest(bytes)),
                "title": format!("{title}.txt"),
                "creation": ts(record.created_at),
            }
        }));
    }
    if let Some(r) = &record.final_reviewer {
        doc["authenticator"] = json!({"display": r});
    }
    if let Some(old) = &record.supersedes {
        doc["relatesTo"] =
            json!([{"code": "replaces", "target": {"identifier": record_identifier(old)}}]);
    }
    doc
}

fn subject(record: &Record, site: &Site) -> Value {
    json!({
        "type": "Patient",
        "identifier": {"system": site.patient_system, "value": record.patient.id},
        "display": record.patient.name,
    })
}

fn xhtml(lines: &[String]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\n', "<br/>")
    };
    let body: Vec<String> = lines.iter().map(|l| format!("<p>{}</p>", esc(l))).collect();
    format!(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>",
        body.join("")
    )
}

/// "label: value" lines for `fields`, leaving out empty ones.
fn field_lines(form: &FormDef, display: &Map<String, Value>, fields: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in fields {
        let Some(def) = form.field(id) else { continue };
        let label = &def.label.ja;
        match display.get(id) {
            Some(Value::String(s)) if !s.trim().is_empty() => out.push(format!("{label}：{s}")),
            Some(Value::Array(rows)) if !rows.is_empty() => {
                out.push(format!("{label}："));
                for row in rows {
                    let cells: Vec<String> = def
                        .columns
                        .iter()
                        .filter_map(|c| {
                            row.get(&c.id)
                                .and_then(Value::as_str)
                                .filter(|v| !v.trim().is_empty())
                                .map(|v| format!("{} {v}", c.label.ja))
                        })
                        .collect();
                    if !cells.is_empty() {
                        out.push(format!("・{}", cells.join("／")));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn section(code: &str, lines: &[String], entries: &[String]) -> Value {
    let name = section_name(code).unwrap_or("?");
    let mut s = json!({
        "title": name,
        "code": {"coding": [{"system": SECTION_SYSTEM, "code": code, "display": format!("{name}セクション")}]},
    });
    if lines.is_empty() && entries.is_empty() {
        s["text"] = json!({"status": "generated", "div": xhtml(&["記載なし".to_string()])});
        s["emptyReason"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "unavailable"}]});
    } else {
        s["text"] = json!({"status": "additional", "div": xhtml(lines)});
    }
    if !entries.is_empty() {
        s["entry"] = entries
            .iter()
            .map(|r| json!({"reference": r}))
            .collect::<Vec<_>>()
            .into();
    }
    s
}

fn date_value(values: &Map<String, Value>, field: &Option<String>) -> Option<String> {
    let v = values.get(field.as_ref()?)?.as_str()?;
    let d = hikae_domain::form::parse_date(v)?;
    Some(d.format("%Y-%m-%d").to_string())
}

const JP_PATIENT_ECS: &str = "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Patient_eCS";
const JP_ENCOUNTER_ECS: &str = "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Encounter_eCS";
const JP_CONDITION_ECS: &str = "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Condition_eCS";

/// A server resource copied into a document: without its server id (the entry's `urn:uuid:`
/// fullUrl names it), with `profile` and a `lastUpdated`, about `patient`.
fn copied(r: &Value, profile: &str, when: &str, patient: Option<&str>) -> Value {
    let mut r = r.clone();
    if let Some(o) = r.as_object_mut() {
        o.remove("id");
        o.remove("text");
    }
    let updated = r["meta"]["lastUpdated"]
        .as_str()
        .unwrap_or(when)
        .to_string();
    r["meta"] = json!({"lastUpdated": updated, "profile": [profile]});
    if let Some(p) = patient {
        r["subject"] = json!({"reference": p});
    }
    r
}

/// The JP-CLINS document Bundle, or `None` if the template's mapping names no document or
/// there are no `sources` (the EHR's Patient, Encounter and Conditions the record was written
/// about, kept from the ward snapshot at finalize): without them no conforming document can
/// be made, and the record goes as its DocumentReference only. `docref` is the
/// DocumentReference the PDF section points to.
pub fn document_bundle(
    record: &Record,
    map: Option<&FhirMap>,
    form: &FormDef,
    docref: &Value,
    site: &Site,
    sources: Option<&Value>,
) -> Option<Value> {
    let map = map?;
    let sources = sources?;
    if !sources["patient"].is_object() {
        return None;
    }
    let (_, type_code, title, bundle_profile, composition_profile) = DOCUMENTS
        .iter()
        .find(|d| Some(d.0) == map.document.as_deref())?;
    let when = ts(record.finalized_at.unwrap_or(record.updated_at));
    let year = record.finalized_at.unwrap_or(record.updated_at).year();
    let inst = site
        .institution_no
        .clone()
        .unwrap_or_else(|| "0000000000".into());
    let values = form.complete(&record.values);
    let display = form.display(&record.values);

    let (patient, author, org, encounter, pdf, to_org) = (
        full_url(),
        full_url(),
        full_url(),
        full_url(),
        full_url(),
        full_url(),
    );
    let referral = map.document.as_deref() == Some("eReferral");
    // the receiving institution of a referral, as entered in the letter
    let to_institution = referral
        .then(|| values.get("to_institution").and_then(Value::as_str))
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    // the problems the EHR had coded for this patient, as it coded them
    let conditions: Vec<(String, Value)> = if referral {
        Vec::new()
    } else {
        sources["conditions"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter(|c| c["resourceType"] == "Condition")
                    .map(|c| {
                        (
                            full_url(),
                            copied(c, JP_CONDITION_ECS, &when, Some(&patient)),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let condition_refs: Vec<String> = conditions.iter().map(|(u, _)| u.clone()).collect();
    let mut structured = Vec::new();
    let mut top = Vec::new();
    for s in &map.sections {
        let lines = field_lines(form, &display, &s.fields);
        let entries = match s.code.as_str() {
            "920" if site.institution_name.is_some() => vec![org.clone(), author.clone()],
            "910" if to_institution.is_some() => vec![to_org.clone()],
            "322" | "324" | "950" => vec![encounter.clone()],
            // the course is told in the document's PDF
            "333" => vec![pdf.clone()],
            "344" => condition_refs.clone(),
            _ => vec![],
        };
        let v = section(&s.code, &lines, &entries);
        if TOP_LEVEL.contains(&s.code.as_str()) {
            top.push(v);
        } else {
            structured.push(v);
        }
    }
    let mut sections = top;
    let mut root = section("300", &[], &[]);
    if let Some(o) = root.as_object_mut() {
        o.remove("text");
        o.remove("emptyReason");
    }
    root["section"] = structured.into();
    sections.push(root);
    let mut pdf_section = section(
        "230",
        &[format!("{title}（印刷版 PDF）")],
        std::slice::from_ref(&pdf),
    );
    if referral {
        // eReferral forbids a narrative in its PDF section
        if let Some(o) = pdf_section.as_object_mut() {
            o.remove("text");
        }
    }
    sections.push(pdf_section);

    let start = date_value(&values, &map.period_start);
    let end = date_value(&values, &map.period_end);
    let mut period = Map::new();
    if let Some(s) = &start {
        period.insert("start".into(), s.clone().into());
    }
    if let Some(e) = &end {
        period.insert("end".into(), e.clone().into());
    }
    let event = if map.document.as_deref() == Some("eReferral") {
        json!([{"code": [{"text": "診療情報提供書発行"}], "period": period}])
    } else {
        json!([{"period": period}])
    };
    let subtype = if map.document.as_deref() == Some("eReferral") {
        ("OUTPATIENT", "外来文書")
    } else {
        ("DISCHARGE", "退院時文書")
    };
    let mut authors =
        vec![json!({"reference": author, "type": "Practitioner", "display": record.author})];
    let mut composition = json!({
        "resourceType": "Composition",
        "meta": {"lastUpdated": when, "profile": [composition_profile]},
        "extension": [{"url": VERSION_EXTENSION, "valueString": record.version.to_string()}],
        "identifier": {"system": INSTANCE_ID_SYSTEM, "value": format!("{inst}^{year}^{}", record.id.replace('-', ""))},
        "status": "final",
        "type": {"coding": [{"system": DOC_TYPE_SYSTEM, "code": type_code, "display": title}]},
        "category": [{"coding": [{"system": DOC_SUBTYPE_SYSTEM, "code": subtype.0, "display": subtype.1}]}],
        "subject": {"reference": patient, "type": "Patient"},
        "date": when,
        "title": title,
        "event": event,
        "section": sections,
    });
    let mut entries = vec![];
    // the server's own Patient, as the snapshot had it when the record was finalized
    entries.push(json!({"fullUrl": patient, "resource": copied(&sources["patient"], JP_PATIENT_ECS, &when, None)}));
    entries.push(json!({"fullUrl": author, "resource": {
        "resourceType": "Practitioner",
        "name": [{"text": record.author}],
    }}));
    if let Some(name) = &site.institution_name {
        let mut o = json!({"resourceType": "Organization", "name": name});
        if let Some(no) = &site.institution_no {
            o["identifier"] = json!([{"system": "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no", "value": no}]);
        }
        entries.push(json!({"fullUrl": org, "resource": o}));
        authors.push(json!({"reference": org, "type": "Organization", "display": name}));
        composition["custodian"] = json!({"reference": org});
    }
    if let Some(name) = &to_institution {
        let mut o = json!({"resourceType": "Organization", "name": name});
        // the receiving institution's 保険医療機関番号, as entered in the letter
        if let Some(no) = values
            .get("to_institution_no")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            o["identifier"] = json!([{"system": "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no", "value": no}]);
        }
        entries.push(json!({"fullUrl": to_org, "resource": o}));
    }
    composition["author"] = authors.into();
    // the stay a discharge summary covers; for a referral, the visit 紹介目的 points at
    let inpatient = map.document.as_deref() == Some("eDischargeSummary");
    let (class, class_display) = if inpatient {
        ("IMP", "inpatient encounter")
    } else {
        ("AMB", "ambulatory")
    };
    // a discharge summary's stay is the EHR's inpatient Encounter, now finished
    let mut enc = match (inpatient, sources["encounter"].is_object()) {
        (true, true) => {
            let mut e = copied(
                &sources["encounter"],
                JP_ENCOUNTER_ECS,
                &when,
                Some(&patient),
            );
            if let Some(o) = e.as_object_mut() {
                // references to the server's Locations, staff, diagnoses (the chief
                // complaint's Condition is not in the document) and other records do not
                // resolve in it
                for k in [
                    "location",
                    "participant",
                    "diagnosis",
                    "reasonReference",
                    "serviceProvider",
                    "episodeOfCare",
                    "basedOn",
                    "partOf",
                    "appointment",
                    "account",
                ] {
                    o.remove(k);
                }
                if let Some(h) = o.get_mut("hospitalization").and_then(Value::as_object_mut) {
                    h.remove("origin");
                    h.remove("destination");
                }
            }
            e
        }
        _ => {
            json!({"resourceType": "Encounter", "meta": {"lastUpdated": when, "profile": [JP_ENCOUNTER_ECS]}, "subject": {"reference": patient}})
        }
    };
    enc["status"] = json!("finished");
    if enc["class"]["display"].is_null() {
        enc["class"] = json!({"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class, "display": class_display});
    }
    if !period.is_empty() {
        let mut p = enc["period"].as_object().cloned().unwrap_or_default();
        for (k, v) in &period {
            if k == "end" || !p.contains_key(k) {
                p.insert(k.clone(), v.clone());
            }
        }
        enc["period"] = Value::Object(p);
    }
    entries.push(json!({"fullUrl": encounter, "resource": enc}));
    for (url, c) in conditions {
        entries.push(json!({"fullUrl": url, "resource": c}));
    }
    if inpatient {
        composition["encounter"] = json!({"reference": encounter});
    }
    let mut pdf_doc = docref.clone();
    pdf_doc["subject"] = json!({"reference": patient});
    // the document's PDF section carries the PDF only (the text attachment is for snapshots)
    pdf_doc["content"] = json!([docref["content"][0].clone()]);
    entries.push(json!({"fullUrl": pdf, "resource": pdf_doc}));
    entries.insert(0, json!({"fullUrl": full_url(), "resource": composition}));
    Some(json!({
        "resourceType": "Bundle",
        "meta": {"lastUpdated": when, "profile": [bundle_profile], "tag": docref["meta"]["tag"].clone()},
        "identifier": {"system": BUNDLE_ID_SYSTEM, "value": bundle_id_value(&inst, year, &record.id)},
        "type": "document",
        "timestamp": when,
        "entry": entries,
    }))
}

/// `医療機関番号^西暦^ID` (JP-CLINS bundle-identifier).
pub fn bundle_id_value(institution_no: &str, year: i32, record_id: &str) -> String {
    format!("{institution_no}^{year}^{record_id}")
}

/// A batch entry: conditional create of `resource` unless `search` finds it.
pub fn conditional_create(resource: Value, search: &str) -> Value {
    let ty = resource["resourceType"].as_str().unwrap_or("").to_string();
    json!({
        "fullUrl": full_url(),
        "resource": resource,
        "request": {"method": "POST", "url": ty, "ifNoneExist": search},
    })
}

/// The search for a document Bundle by its identifier (`^` percent-encoded).
pub fn bundle_search(bundle: &Value) -> String {
    let id = &bundle["identifier"];
    format!(
        "identifier={}|{}",
        id["system"].as_str().unwrap_or(""),
        id["value"].as_str().unwrap_or("").replace('^', "%5E")
    )
}

/// A batch entry marking an earlier version's DocumentReference superseded (JSON Patch).
pub fn supersede(docref_id: &str) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let patch = json!([{"op": "replace", "path": "/status", "value": "superseded"}]);
    json!({
        "resource": {
            "resourceType": "Binary",
            "contentType": "application/json-patch+json",
            "data": b64.encode(patch.to_string()),
        },
        "request": {"method": "PATCH", "url": docref_id},
    })
}
