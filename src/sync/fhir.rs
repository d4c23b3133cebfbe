//! FHIR R4 resources for a finalized record: a DocumentReference carrying the PDF.

use base64::Engine;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::audit::ts;
use crate::record::Record;

/// The LOINC document type of a template (what the EHR files it under).
pub fn loinc_type(template_id: &str) -> (&'static str, &'static str) {
    match template_id {
        "discharge-summary" => ("18842-5", "Discharge summary"),
        "referral-letter" => ("57133-1", "Referral note"),
        "sbar-handover" | "ward-handover" => ("34109-9", "Note"),
        "nursing-soap" | "nursing-dar" => ("34746-8", "Nurse Note"),
        "conference-summary" => ("11506-3", "Progress note"),
        "patient-explanation" | "exam-explanation" | "medication-explanation" => {
            ("69730-0", "Instructions")
        }
        "medication-followup" => ("34109-9", "Note"),
        _ => ("34109-9", "Note"),
    }
}

pub fn record_identifier(record_id: &str) -> Value {
    json!({"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{record_id}")})
}

/// The DocumentReference for `record` with its printed PDF attached (size and SHA-1 over the
/// exact bytes). `patient_system` is the hospital's patient-ID namespace.
pub fn document_reference(record: &Record, title: &str, pdf: &[u8], patient_system: &str) -> Value {
    let (code, display) = loinc_type(&record.provenance.template_id);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut doc = json!({
        "resourceType": "DocumentReference",
        "identifier": [record_identifier(&record.id)],
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}], "text": title},
        "subject": {
            "identifier": {"system": patient_system, "value": record.patient.id},
            "display": record.patient.name,
        },
        "date": ts(record.finalized_at.unwrap_or(record.updated_at)),
        "author": [{"display": record.author}],
        "description": "ダウンタイム時作成（Hikae 控え）",
        "content": [{
            "attachment": {
                "contentType": "application/pdf",
                "language": "ja",
                "data": b64.encode(pdf),
                "size": pdf.len(),
                "hash": b64.encode(Sha1::digest(pdf)),
                "title": title,
                "creation": ts(record.created_at),
            }
        }],
    });
    if let Some(r) = &record.final_reviewer {
        doc["authenticator"] = json!({"display": r});
    }
    if let Some(old) = &record.supersedes {
        doc["relatesTo"] =
            json!([{"code": "replaces", "target": {"identifier": record_identifier(old)}}]);
    }
    doc
}
