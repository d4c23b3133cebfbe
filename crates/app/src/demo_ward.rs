//! A fictional inpatient ward for a test or training FHIR server (`hikae demo --fhir-ward`): 40 beds of made-up patients with
//! kanji and kana names, allergies, 5–10 medications each, active problems and vital signs,
//! as JP Core-shaped resources. Deterministic for a seed. Every name is invented; IDs are in
//! a range no real hospital issues here (`90000000`+).

use serde_json::{json, Value};

pub const WARD: &str = "ward-5e";
pub const WARD_NAME: &str = "5階東病棟";
pub const PATIENT_SYSTEM: &str = "urn:oid:1.2.392.100495.20.3.51.11318814790";

const FAMILY: [(&str, &str); 20] = [
    ("架空", "カクウ"),
    ("見本", "ミホン"),
    ("試験", "シケン"),
    ("仮野", "カリノ"),
    ("模擬", "モギ"),
    ("例田", "レイダ"),
    ("空木", "ウツギ"),
    ("夢野", "ユメノ"),
    ("虚田", "ウロタ"),
    ("想川", "オモカワ"),
    ("𠮷田", "ヨシダ"),
    ("髙橋", "タカハシ"),
    ("山﨑", "ヤマサキ"),
    ("槗本", "ハシモト"),
    ("渡邊", "ワタナベ"),
    ("齋藤", "サイトウ"),
    ("架橋", "カキョウ"),
    ("標本", "ヒョウホン"),
    ("雛形", "ヒナガタ"),
    ("試作", "シサク"),
];
const GIVEN_F: [(&str, &str); 10] = [
    ("花子", "ハナコ"),
    ("桜", "サクラ"),
    ("美咲", "ミサキ"),
    ("陽子", "ヨウコ"),
    ("千代", "チヨ"),
    ("文子", "フミコ"),
    ("恵", "メグミ"),
    ("トメ", "トメ"),
    ("静香", "シズカ"),
    ("和子", "カズコ"),
];
const GIVEN_M: [(&str, &str); 10] = [
    ("太郎", "タロウ"),
    ("一郎", "イチロウ"),
    ("健", "ケン"),
    ("誠", "マコト"),
    ("正男", "マサオ"),
    ("博", "ヒロシ"),
    ("茂", "シゲル"),
    ("勇", "イサム"),
    ("清", "キヨシ"),
    ("進", "ススム"),
];
const ALLERGENS: [(&str, &str); 6] = [
    ("ペニシリン系抗菌薬", "high"),
    ("造影剤（ヨード）", "high"),
    ("卵", "low"),
    ("ラテックス", "low"),
    ("アスピリン", "high"),
    ("そば", "high"),
];
const MEDS: [(&str, &str); 12] = [
    ("アムロジピン錠5mg", "1回1錠 1日1回 朝食後"),
    ("ランソプラゾールOD錠15mg", "1回1錠 1日1回 朝食後"),
    ("メトホルミン錠250mg", "1回1錠 1日2回 朝夕食後"),
    ("酸化マグネシウム錠330mg", "1回1錠 1日3回 毎食後"),
    ("アセトアミノフェン錠200mg", "1回2錠 疼痛時"),
    ("フロセミド錠20mg", "1回1錠 1日1回 朝食後"),
    ("ワルファリンK錠1mg", "1回2錠 1日1回 夕食後"),
    ("セフトリアキソン注1g", "1回1g 1日1回 点滴静注"),
    ("ビソプロロール錠2.5mg", "1回1錠 1日1回 朝食後"),
    ("アトルバスタチン錠10mg", "1回1錠 1日1回 夕食後"),
    ("ゾルピデム錠5mg", "1回1錠 不眠時"),
    ("インスリン グラルギン", "1日1回 10単位 皮下注 就寝前"),
];
const PROBLEMS: [(&str, &str); 8] = [
    ("J189", "肺炎"),
    ("I10", "本態性高血圧症"),
    ("E119", "2型糖尿病"),
    ("I500", "うっ血性心不全"),
    ("N390", "尿路感染症"),
    ("S7200", "大腿骨頚部骨折"),
    ("I639", "脳梗塞"),
    ("K566", "腸閉塞"),
];
/// A stay as the EHR describes it (JP-CLINS `JP_Encounter_eCS`).
struct Admission {
    /// `Encounter.reasonCode`: why the patient was admitted.
    reason: &'static str,
    /// `Encounter.serviceType`: the department in charge.
    department: &'static str,
    /// The chief complaint: a Condition the Encounter lists with diagnosis use `CC`.
    complaint: &'static str,
}

/// The stay of a patient whose first problem is `PROBLEMS[i]`.
const ADMISSIONS: [Admission; 8] = [
    Admission {
        reason: "発熱と湿性咳嗽が続き、SpO2 91%（室内気）と低酸素血症を認めたため入院加療とした。",
        department: "呼吸器内科",
        complaint: "3日前からの発熱、湿性咳嗽、労作時の息切れ",
    },
    Admission {
        reason: "血圧 190/110 mmHg と高値が続き、頭痛を伴うため降圧調整目的で入院とした。",
        department: "循環器内科",
        complaint: "頭痛、ふらつき",
    },
    Admission {
        reason: "血糖 420 mg/dL と高血糖が続き、口渇・倦怠感が強いため血糖コントロール目的で入院とした。",
        department: "糖尿病内科",
        complaint: "口渇、多尿、全身倦怠感",
    },
    Admission {
        reason: "労作時の息切れと両下肢の浮腫が増悪し、体重が1週間で4kg増えたため入院とした。",
        department: "循環器内科",
        complaint: "労作時の息切れ、両下肢のむくみ",
    },
    Admission {
        reason: "38℃台の発熱と排尿時痛が続き、経口摂取も低下したため抗菌薬点滴目的で入院とした。",
        department: "腎臓内科",
        complaint: "発熱、排尿時痛、食欲低下",
    },
    Admission {
        reason: "自宅で転倒し右股関節痛のため歩行不能となり、手術目的で入院とした。",
        department: "整形外科",
        complaint: "転倒後の右股関節痛、歩行不能",
    },
    Admission {
        reason: "起床時からの右上下肢の脱力と構音障害のため救急搬送され、入院とした。",
        department: "脳神経内科",
        complaint: "右手足の脱力、ろれつが回らない",
    },
    Admission {
        reason: "腹痛と嘔吐が続き、腹部X線で鏡面像を認めたため絶食・減圧目的で入院とした。",
        department: "消化器外科",
        complaint: "腹痛、嘔吐、排便・排ガスの停止",
    },
];
const _: () = assert!(ADMISSIONS.len() == PROBLEMS.len());

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn put(resource: Value) -> Value {
    let url = format!(
        "{}/{}",
        resource["resourceType"].as_str().expect("type"),
        resource["id"].as_str().expect("id")
    );
    json!({"request": {"method": "PUT", "url": url}, "resource": resource})
}

fn name(family: &str, given: &str, rep: &str) -> Value {
    json!({"use": "official", "text": format!("{family} {given}"), "family": family, "given": [given],
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation", "valueCode": rep}]})
}

/// The hospital as the EHR knows it: every stay names it as its `serviceProvider`.
fn hospital() -> Value {
    put(json!({"resourceType": "Organization", "id": "kakuu-hosp", "name": "架空総合病院"}))
}

/// The chief complaint of a stay as JP-CLINS has it: a Condition (resolved by now, so not among
/// the active problems) that the Encounter lists with diagnosis use `CC`, its text on the
/// reference. Returns the Condition's batch entry and the Encounter's `diagnosis`.
fn chief_complaint(patient: &str, id: &str, text: &str, onset: &str) -> (Value, Value) {
    let condition = put(json!({
        "resourceType": "Condition", "id": id,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
        "code": {"text": text},
        "subject": {"reference": format!("Patient/{patient}")},
        "onsetDateTime": onset,
    }));
    let diagnosis = json!([{
        "condition": {"reference": format!("Condition/{id}"), "display": text},
        "use": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/diagnosis-role", "code": "CC", "display": "Chief complaint"}]},
        "rank": 1,
    }]);
    (condition, diagnosis)
}

/// The fictional patient in bed `bed` (0-based).
pub struct Bed {
    pub patient: String,
    pub patient_id: String,
    pub name: String,
    pub kana: String,
    pub bed: String,
    pub encounter: String,
    pub allergies: Vec<String>,
    pub medications: usize,
    pub problems: Vec<String>,
    /// The stay's reason, department and chief complaint (`ADMISSIONS`).
    pub reason: String,
    pub department: String,
    pub complaint: String,
}

/// The ward's resources as batch entries (PUTs with fixed ids) and what each bed holds.
/// `now` dates the vital signs (the last 24 hours before it).
pub fn ward(seed: u64, beds: usize, now: chrono::DateTime<chrono::Utc>) -> (Vec<Value>, Vec<Bed>) {
    let mut rng = Rng(seed);
    let mut out = vec![
        put(
            json!({"resourceType": "Location", "id": WARD, "status": "active", "name": WARD_NAME, "mode": "instance",
            "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "wa"}]}}),
        ),
        put(
            json!({"resourceType": "Practitioner", "id": "dr-kakuu", "name": [name("架空", "医師", "IDE")]}),
        ),
        hospital(),
        put(
            json!({"resourceType": "Practitioner", "id": "dr-mihon", "name": [name("見本", "医師", "IDE")]}),
        ),
    ];
    let mut beds_out = Vec::new();
    for b in 0..beds {
        let female = rng.below(2) == 0;
        let (family, fkana) = FAMILY[rng.below(FAMILY.len())];
        let (given, gkana) = if female {
            GIVEN_F[rng.below(GIVEN_F.len())]
        } else {
            GIVEN_M[rng.below(GIVEN_M.len())]
        };
        let room = 501 + b / 4;
        let bed_name = format!("{room}-{}", b % 4 + 1);
        let pid = format!("w5e-p{b:02}");
        let hosp_id = format!("{}", 90_000_000 + seed as usize % 1000 * 1000 + b);
        let year = 1930 + rng.below(60);
        let birth = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        out.push(put(json!({"resourceType": "Location", "id": format!("bed-{bed_name}"), "status": "active",
            "name": bed_name, "mode": "instance", "partOf": {"reference": format!("Location/{WARD}")},
            "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd"}]}})));
        out.push(put(json!({
            "resourceType": "Patient", "id": pid,
            "meta": {"profile": ["http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient"]},
            "identifier": [{"system": PATIENT_SYSTEM, "value": hosp_id}],
            "name": [name(family, given, "IDE"), name(fkana, gkana, "SYL")],
            "gender": if female { "female" } else { "male" },
            "birthDate": birth,
            "address": [{"text": "東京都架空区見本町1-2-3", "postalCode": "100-0000", "country": "JP"}],
        })));
        let eid = format!("w5e-e{b:02}");
        // the first problem below is PROBLEMS[b % len]: the reason for the stay goes with it
        let adm = &ADMISSIONS[b % ADMISSIONS.len()];
        let day = 1 + rng.below(20);
        let start = format!("2026-11-{day:02}T10:00:00+09:00");
        let (complaint, diagnosis) =
            chief_complaint(&pid, &format!("w5e-cc{b:02}"), adm.complaint, &start);
        out.push(complaint);
        out.push(put(json!({
            "resourceType": "Encounter", "id": eid, "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter"},
            "subject": {"reference": format!("Patient/{pid}")},
            "period": {"start": start},
            "reasonCode": [{"text": adm.reason}],
            "serviceType": {"text": adm.department},
            "diagnosis": diagnosis,
            "serviceProvider": {"reference": "Organization/kakuu-hosp"},
            "participant": [{"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "ATND"}]}],
                "individual": {"reference": if b % 2 == 0 { "Practitioner/dr-kakuu" } else { "Practitioner/dr-mihon" }}}],
            "location": [{"location": {"reference": format!("Location/{WARD}")}},
                         {"location": {"reference": format!("Location/bed-{bed_name}")}}],
        })));
        let mut allergies = Vec::new();
        for a in 0..rng.below(3) {
            let (text, crit) = ALLERGENS[(b + a * 2) % ALLERGENS.len()];
            allergies.push(text.to_string());
            out.push(put(json!({
                "resourceType": "AllergyIntolerance", "id": format!("w5e-a{b:02}-{a}"),
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
                "criticality": crit, "code": {"text": text},
                "patient": {"reference": format!("Patient/{pid}")},
                "reaction": [{"manifestation": [{"text": "発疹"}]}],
            })));
        }
        let meds = 5 + rng.below(6);
        for m in 0..meds {
            let (drug, dose) = MEDS[(b + m) % MEDS.len()];
            out.push(put(json!({
                "resourceType": "MedicationRequest", "id": format!("w5e-m{b:02}-{m}"),
                "status": "active", "intent": "order",
                "medicationCodeableConcept": {"text": drug},
                "subject": {"reference": format!("Patient/{pid}")},
                "authoredOn": format!("2026-11-{day:02}"),
                "dosageInstruction": [{"text": dose}],
            })));
        }
        let mut problems = Vec::new();
        for c in 0..1 + rng.below(3) {
            let (code, text) = PROBLEMS[(b + c * 3) % PROBLEMS.len()];
            problems.push(text.to_string());
            // coded as a JP-CLINS EHR codes them: a MEDIS 病名管理番号 (fictional numbers in the
            // 999… range) beside ICD-10, an instance identifier, verification and category
            let cid = format!("w5e-c{b:02}-{c}");
            out.push(put(json!({
                "resourceType": "Condition", "id": cid,
                "identifier": [{"system": "http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier", "value": format!("1318814790^2026^{cid}")}],
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
                "code": {"coding": [
                    {"system": "http://medis.or.jp/CodeSystem/master-disease-keyNumber", "code": format!("999{:05}", (b + c * 3) % PROBLEMS.len()), "display": text},
                    {"system": "http://jpfhir.jp/fhir/core/CodeSystem/JP_ICD10_CS", "code": code, "display": text}], "text": text},
                "subject": {"reference": format!("Patient/{pid}")},
                "onsetDateTime": format!("2026-11-{day:02}"),
            })));
        }
        for (h, hours_ago) in [20i64, 8].into_iter().enumerate() {
            let at = (now - chrono::Duration::hours(hours_ago)).to_rfc3339();
            let t = 36.0 + rng.below(25) as f64 / 10.0;
            out.push(put(json!({
                "resourceType": "Observation", "id": format!("w5e-t{b:02}-{h}"), "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}], "text": "体温"},
                "subject": {"reference": format!("Patient/{pid}")},
                "effectiveDateTime": at, "valueQuantity": {"value": t, "unit": "℃", "system": "http://unitsofmeasure.org", "code": "Cel"},
            })));
            out.push(put(json!({
                "resourceType": "Observation", "id": format!("w5e-bp{b:02}-{h}"), "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}], "text": "血圧"},
                "subject": {"reference": format!("Patient/{pid}")},
                "effectiveDateTime": at,
                "component": [
                    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 110 + rng.below(40), "unit": "mmHg"}},
                    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 60 + rng.below(30), "unit": "mmHg"}}],
            })));
        }
        beds_out.push(Bed {
            patient: pid,
            patient_id: hosp_id,
            name: format!("{family} {given}"),
            kana: format!("{fkana} {gkana}"),
            bed: bed_name,
            encounter: eid,
            allergies,
            medications: meds,
            problems,
            reason: adm.reason.to_string(),
            department: adm.department.to_string(),
            complaint: adm.complaint.to_string(),
        });
    }
    (out, beds_out)
}

/// Admits `patients` (hospital ID, "family given" name) to [`WARD`]: the Location, each
/// Patient (JP Core shape, with an address), an in-progress Encounter and one coded Condition
/// (肺炎), as batch entries. For tests that need a known patient in the ward snapshot.
pub fn inpatients(patients: &[(String, String)]) -> Vec<Value> {
    let mut out = vec![put(
        json!({"resourceType": "Location", "id": WARD, "status": "active", "name": WARD_NAME, "mode": "instance",
        "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "wa"}]}}),
    )];
    out.push(hospital());
    for (i, (id, name)) in patients.iter().enumerate() {
        let (family, given) = name.split_once(' ').unwrap_or((name.as_str(), "　"));
        let pid = format!("adm-p{i}");
        out.push(put(json!({
            "resourceType": "Patient", "id": pid,
            "identifier": [{"system": PATIENT_SYSTEM, "value": id}],
            "name": [name_of(family, given, "IDE")],
            "gender": "female", "birthDate": "1950-04-01",
            "address": [{"text": "東京都架空区見本町1-2-3", "postalCode": "100-0000", "country": "JP"}],
        })));
        let adm = &ADMISSIONS[0];
        let start = "2026-11-18T10:00:00+09:00";
        let (complaint, diagnosis) =
            chief_complaint(&pid, &format!("adm-cc{i}"), adm.complaint, start);
        out.push(complaint);
        out.push(put(json!({
            "resourceType": "Encounter", "id": format!("adm-e{i}"), "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP", "display": "inpatient encounter"},
            "subject": {"reference": format!("Patient/{pid}")},
            "period": {"start": start},
            "reasonCode": [{"text": adm.reason}],
            "serviceType": {"text": adm.department},
            "diagnosis": diagnosis,
            "serviceProvider": {"reference": "Organization/kakuu-hosp"},
            "location": [{"location": {"reference": format!("Location/{WARD}")}}],
        })));
        let cid = format!("adm-c{i}");
        out.push(put(json!({
            "resourceType": "Condition", "id": cid,
            "identifier": [{"system": "http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier", "value": format!("1318814790^2026^{cid}")}],
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
            "code": {"coding": [
                {"system": "http://medis.or.jp/CodeSystem/master-disease-keyNumber", "code": "99900000", "display": "肺炎"},
                {"system": "http://jpfhir.jp/fhir/core/CodeSystem/JP_ICD10_CS", "code": "J189", "display": "肺炎"}], "text": "肺炎"},
            "subject": {"reference": format!("Patient/{pid}")},
        })));
    }
    out
}

fn name_of(family: &str, given: &str, rep: &str) -> Value {
    name(family, given, rep)
}
