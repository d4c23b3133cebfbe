//! How a template's records are filed in the hospital's FHIR server (`[template.fhir]` in
//! pack.toml): the mapping, the JP-CLINS codes it may use, and its check.

use serde::{Deserialize, Serialize};

use crate::form::{FieldType, FormDef};

/// A template's FHIR mapping (see docs/FHIR.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirMap {
    /// LOINC document type of the DocumentReference, e.g. 18842-5.
    pub loinc: String,
    pub loinc_display: String,
    /// Also send a JP-CLINS-shaped document Bundle: "eDischargeSummary" or "eReferral".
    #[serde(default)]
    pub document: Option<String>,
    /// Date fields giving the period the document covers (admission, discharge).
    #[serde(default)]
    pub period_start: Option<String>,
    #[serde(default)]
    pub period_end: Option<String>,
    /// Composition sections (JP-CLINS document-section codes) and the fields they show.
    #[serde(default)]
    pub sections: Vec<FhirSection>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirSection {
    pub code: String,
    pub fields: Vec<String>,
}

/// JP-CLINS document-section codes and their names (titles are the names; displays add
/// "セクション").
pub const SECTIONS: &[(&str, &str)] = &[
    ("210", "添付情報"),
    ("220", "備考・連絡情報"),
    ("230", "PDF"),
    ("300", "構造情報"),
    ("312", "入院理由"),
    ("322", "入院時詳細"),
    ("324", "退院時詳細"),
    ("330", "臨床経過"),
    ("333", "入院中経過"),
    ("340", "傷病名・主訴"),
    ("342", "入院時診断"),
    ("344", "退院時診断"),
    ("352", "主訴"),
    ("360", "現病歴"),
    // the eDischargeSummary profile's present-illness slice fixes 362 (its own CodeSystem
    // lists 360: an IG inconsistency; the profile is followed)
    ("362", "現病歴"),
    ("370", "既往歴"),
    ("410", "事前指示"),
    ("420", "診療方針指示"),
    ("424", "退院時方針指示"),
    ("430", "投薬指示"),
    ("432", "入院時服薬"),
    ("444", "退院時投薬指示"),
    ("510", "アレルギー・不耐性反応"),
    ("520", "感染症情報"),
    ("530", "予防接種歴"),
    ("550", "家族歴"),
    ("610", "身体所見"),
    ("612", "入院時身体所見"),
    ("614", "退院時身体所見"),
    ("620", "検査結果"),
    ("623", "入院中検査結果"),
    ("640", "社会歴・生活習慣"),
    ("713", "入院中治療"),
    ("720", "処置"),
    ("730", "手術"),
    ("740", "輸血歴"),
    ("910", "紹介先情報"),
    ("920", "紹介元情報"),
    ("950", "紹介目的"),
];

/// Sections that sit beside 構造情報 (300) rather than inside it.
pub const TOP_LEVEL: &[&str] = &["210", "220", "230", "910", "920"];

/// The JP-CLINS documents Hikae can shape: (name, doc-typecode, title, Bundle profile,
/// Composition profile).
pub const DOCUMENTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "eDischargeSummary",
        "18842-5",
        "退院時サマリー",
        "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eDischargeSummary",
        "http://jpfhir.jp/fhir/eDischargeSummary/StructureDefinition/JP_Composition_eDischargeSummary",
    ),
    (
        "eReferral",
        "57133-1",
        "診療情報提供書",
        "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral",
        "http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral",
    ),
];

pub fn section_name(code: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// What is wrong with a pack's mapping for `form` (empty: fine).
pub fn map_problems(map: &FhirMap, form: &FormDef) -> Vec<String> {
    let mut out = Vec::new();
    if map.loinc.trim().is_empty() || !map.loinc.chars().all(|c| c.is_ascii_digit() || c == '-') {
        out.push(format!(
            "loinc = \"{}\" is not a LOINC code (like 18842-5)",
            map.loinc
        ));
    }
    if let Some(d) = &map.document {
        if !DOCUMENTS.iter().any(|x| x.0 == d) {
            out.push(format!(
                "document = \"{d}\": known are {}",
                DOCUMENTS.iter().map(|x| x.0).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    for (what, f) in [
        ("period_start", &map.period_start),
        ("period_end", &map.period_end),
    ] {
        if let Some(f) = f {
            match form.field(f) {
                None => out.push(format!("{what} = \"{f}\": no such field in the form")),
                Some(d) if !matches!(d.kind, FieldType::Date | FieldType::Datetime) => {
                    out.push(format!("{what} = \"{f}\": not a date field"))
                }
                Some(_) => {}
            }
        }
    }
    for s in &map.sections {
        if section_name(&s.code).is_none() {
            out.push(format!(
                "section code \"{}\" is not a JP-CLINS document-section code Hikae knows",
                s.code
            ));
        }
        if s.code == "230" || s.code == "300" {
            out.push(format!("section {}: Hikae fills this one itself", s.code));
        }
        for f in &s.fields {
            if form.field(f).is_none() {
                out.push(format!("section {}: no field \"{f}\" in the form", s.code));
            }
        }
    }
    if map.document.is_none() && !map.sections.is_empty() {
        out.push("sections are only used with document = …".into());
    }
    out
}
