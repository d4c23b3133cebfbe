//! The audit trail: who did what, when, to which record, for what purpose and with which
//! category of data. Entries are appended by the store in the same transaction as the change
//! they describe (reads are logged before the data is handed out), each carries the hash of the
//! one before, and `verify` finds any entry edited, deleted, inserted, reordered or cut off the
//! end. Export: JSON Lines, and FHIR R4 AuditEvent resources (NDJSON).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// What happened. The string codes are stored and exported; never change a released one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "AuditAction"))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    Lock,
    Unlock,
    BreakGlass,
    View,
    Create,
    Edit,
    Finalize,
    Correct,
    Print,
    Export,
    Copy,
    ChecklistTick,
    PackInstall,
    PackRollback,
    RosterInstall,
    Sync,
    DrillStart,
    DrillEnd,
    DrillPurge,
    Downtime,
    Settings,
    /// The ward snapshot was refreshed from the FHIR server (or purged by its retention).
    SnapshotRefresh,
    /// Hikae found the log tampered with (or restored from an older copy) when it opened it.
    AuditFinding,
}

impl Action {
    pub const ALL: [Action; 26] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::Lock,
        Action::Unlock,
        Action::BreakGlass,
        Action::View,
        Action::Create,
        Action::Edit,
        Action::Finalize,
        Action::Correct,
        Action::Print,
        Action::Export,
        Action::Copy,
        Action::ChecklistTick,
        Action::PackInstall,
        Action::PackRollback,
        Action::RosterInstall,
        Action::Sync,
        Action::DrillStart,
        Action::DrillEnd,
        Action::DrillPurge,
        Action::Downtime,
        Action::Settings,
        Action::SnapshotRefresh,
        Action::AuditFinding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::Lock => "lock",
            Action::Unlock => "unlock",
            Action::BreakGlass => "break_glass",
            Action::View => "view",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Finalize => "finalize",
            Action::Correct => "correct",
            Action::Print => "print",
            Action::Export => "export",
            Action::Copy => "copy",
            Action::ChecklistTick => "checklist_tick",
            Action::PackInstall => "pack_install",
            Action::PackRollback => "pack_rollback",
            Action::RosterInstall => "roster_install",
            Action::Sync => "sync",
            Action::DrillStart => "drill_start",
            Action::DrillEnd => "drill_end",
            Action::DrillPurge => "drill_purge",
            Action::Downtime => "downtime",
            Action::Settings => "settings",
            Action::SnapshotRefresh => "snapshot_refresh",
            Action::AuditFinding => "audit_finding",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// FHIR AuditEvent.action: C create, R read, U update, E execute.
    fn fhir_action(self) -> &'static str {
        match self {
            Action::Create => "C",
            Action::View | Action::Print | Action::Export | Action::Copy => "R",
            Action::Edit | Action::Finalize | Action::Correct | Action::ChecklistTick => "U",
            Action::DrillPurge => "D",
            _ => "E",
        }
    }

    /// FHIR AuditEvent.type (DICOM event ids).
    fn fhir_type(self) -> (&'static str, &'static str) {
        match self {
            Action::Login | Action::Logout | Action::Lock | Action::Unlock => {
                ("110114", "User Authentication")
            }
            Action::LoginFailed | Action::BreakGlass => ("110113", "Security Alert"),
            Action::View
            | Action::Create
            | Action::Edit
            | Action::Finalize
            | Action::Correct
            | Action::ChecklistTick => ("110110", "Patient Record"),
            Action::Print | Action::Export | Action::Copy => ("110106", "Export"),
            _ => ("110100", "Application Activity"),
        }
    }
}

/// Who acts. Until local accounts exist, `id` is the name the person gave.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "AuditActor"))]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub session: Option<String>,
    /// Emergency access without a normal login.
    pub break_glass: bool,
}

impl Actor {
    /// Someone known only by the name they typed.
    pub fn named(name: &str) -> Actor {
        Actor {
            id: name.trim().to_string(),
            name: name.trim().to_string(),
            ..Actor::default()
        }
    }
}

/// What a caller reports; the store adds order, time and the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "AuditEvent"))]
pub struct Event {
    pub actor: Actor,
    pub action: Action,
    pub success: bool,
    pub record_id: Option<String>,
    pub patient_id: Option<String>,
    /// The approved use the data served (from the pack), e.g. 退院時の情報共有.
    pub purpose: Option<String>,
    /// Category of data touched (from the pack), e.g. 診療記録.
    pub data_category: Option<String>,
    pub final_reviewer: Option<String>,
    /// Anything else worth keeping (pack version, printer, reason), as short text.
    pub detail: Option<String>,
}

impl Event {
    pub fn new(actor: &Actor, action: Action) -> Event {
        Event {
            actor: actor.clone(),
            action,
            success: true,
            record_id: None,
            patient_id: None,
            purpose: None,
            data_category: None,
            final_reviewer: None,
            detail: None,
        }
    }
    pub fn failed(mut self) -> Event {
        self.success = false;
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Event {
        self.detail = Some(d.into());
        self
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "AuditEntry"))]
pub struct Entry {
    /// 1, 2, 3, … in the order entries were made.
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: Event,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over every field of the entry but its own hash, in a fixed order.
pub fn entry_hash(seq: i64, at: &str, e: &Event, prev_hash: &str) -> String {
    let canonical = json!([
        seq,
        at,
        e.actor.id,
        e.actor.name,
        e.actor.role,
        e.actor.session,
        e.actor.break_glass,
        e.action.as_str(),
        e.success,
        e.record_id,
        e.patient_id,
        e.purpose,
        e.data_category,
        e.final_reviewer,
        e.detail,
        prev_hash,
    ]);
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// An entry's content no longer matches its hash.
    Modified { seq: i64 },
    /// The chain is broken before this entry (one before it deleted, inserted or moved).
    Broken { seq: i64 },
    /// The numbering jumps (an entry deleted, inserted or moved).
    Gap { expected: i64, found: i64 },
    /// Entries after `last` are gone: the anchor saw `anchored`.
    Truncated { last: i64, anchored: i64 },
    /// The anchored entry differs from the one in the log.
    AnchorMismatch { seq: i64 },
    /// The log has entries but its anchor file is gone.
    AnchorMissing { last: i64 },
    /// An entry in which Hikae recorded what it found when it opened the log.
    Recorded { seq: i64, text: String },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Modified { seq } => write!(f, "entry {seq} was changed after it was written"),
            Finding::Broken { seq } => write!(
                f,
                "the chain breaks before entry {seq}: an entry before it was deleted, inserted or moved"
            ),
            Finding::Gap { expected, found } => write!(
                f,
                "entry {expected} is missing or out of order (found {found} in its place)"
            ),
            Finding::Truncated { last, anchored } => write!(
                f,
                "entries after {last} are missing: the log had reached entry {anchored}"
            ),
            Finding::AnchorMismatch { seq } => write!(
                f,
                "entry {seq} differs from the one recorded when it was written (rewritten log)"
            ),
            Finding::AnchorMissing { last } => write!(
                f,
                "the log has {last} entries but its anchor file is missing (deleted, or the database was copied without it)"
            ),
            Finding::Recorded { seq, text } => {
                write!(f, "entry {seq}: when Hikae opened the log it found: {text}")
            }
        }
    }
}

/// Checks a whole log, oldest first, against its anchor (the last (seq, hash) written outside
/// the database). Returns every finding; empty means intact.
pub fn verify(entries: &[Entry], anchor: Option<(i64, String)>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut expected = 1;
    for e in entries {
        if e.seq != expected {
            out.push(Finding::Gap {
                expected,
                found: e.seq,
            });
        }
        if e.prev_hash != prev {
            out.push(Finding::Broken { seq: e.seq });
        }
        if entry_hash(e.seq, &ts(e.at), &e.event, &e.prev_hash) != e.hash {
            out.push(Finding::Modified { seq: e.seq });
        }
        prev = e.hash.clone();
        expected = e.seq + 1;
    }
    for e in entries
        .iter()
        .filter(|e| e.event.action == Action::AuditFinding)
    {
        out.push(Finding::Recorded {
            seq: e.seq,
            text: e.event.detail.clone().unwrap_or_default(),
        });
    }
    let last = entries.last().map(|e| (e.seq, e.hash.clone()));
    let at_anchor = anchor
        .as_ref()
        .and_then(|(seq, _)| entries.iter().find(|e| e.seq == *seq))
        .map(|e| e.hash.clone());
    out.extend(check_anchor(last, anchor, at_anchor));
    out
}

/// The quick check made at every open: the last entry (seq, hash), the anchor file's
/// (seq, hash), and the hash of the log's entry at the anchor's seq.
pub fn check_anchor(
    last: Option<(i64, String)>,
    anchor: Option<(i64, String)>,
    hash_at_anchor: Option<String>,
) -> Vec<Finding> {
    let last_seq = last.as_ref().map(|l| l.0).unwrap_or(0);
    match anchor {
        None if last_seq > 0 => vec![Finding::AnchorMissing { last: last_seq }],
        None => Vec::new(),
        Some((seq, _)) if seq > last_seq => vec![Finding::Truncated {
            last: last_seq,
            anchored: seq,
        }],
        Some((seq, hash)) if hash_at_anchor.as_deref() != Some(hash.as_str()) => {
            vec![Finding::AnchorMismatch { seq }]
        }
        Some(_) => Vec::new(),
    }
}

/// Where this PC's log ended, as a FHIR R4 AuditEvent: sent with each sync so that a copy of
/// the chain head (sequence number and hash of the last entry) lives off the PC, where a
/// local rewrite of the log cannot reach it.
pub fn fhir_chain_head(seq: i64, hash: &str, at: DateTime<Utc>, source: &str) -> Value {
    json!({
        "resourceType": "AuditEvent",
        "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110100", "display": "Application Activity"},
        "subtype": [{"system": "urn:hikae:audit-action", "code": "chain_head"}],
        "action": "E",
        "recorded": ts(at),
        "outcome": "0",
        "agent": [{"who": {"display": source}, "requestor": false}],
        "source": {"observer": {"display": source}},
        "entity": [{
            "what": {"identifier": {"system": "urn:hikae:audit-chain", "value": format!("{source}#{seq}")}},
            "name": format!("{source}#{seq}"),
            "description": "Hikae audit log chain head (sequence number and SHA-256 of the last entry)",
            "detail": [
                {"type": "seq", "valueString": seq.to_string()},
                {"type": "hash", "valueString": hash},
            ],
        }],
    })
}

/// The entry as a FHIR R4 AuditEvent.
pub fn fhir_audit_event(e: &Entry, source: &str) -> Value {
    let ev = &e.event;
    let (type_code, type_display) = ev.action.fhir_type();
    let purpose = |code: &str, display: &str| json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": code, "display": display}]});
    let mut purposes = vec![if ev.actor.break_glass {
        purpose("ETREAT", "Emergency Treatment")
    } else {
        purpose("TREAT", "treatment")
    }];
    if let Some(p) = &ev.purpose {
        purposes.push(json!({"text": p}));
    }
    let mut agent = json!({
        "who": {"identifier": {"system": "urn:hikae:staff-id", "value": ev.actor.id}, "display": ev.actor.name},
        "requestor": true,
    });
    if let Some(role) = &ev.actor.role {
        agent["role"] = json!([{"text": role}]);
    }
    if ev.actor.break_glass {
        agent["purposeOfUse"] = json!([purpose("ETREAT", "Emergency Treatment")]);
    }
    let mut entities = Vec::new();
    if let Some(id) = &ev.record_id {
        let mut details = vec![json!({"type": "chain_hash", "valueString": e.hash})];
        if let Some(r) = &ev.final_reviewer {
            details.push(json!({"type": "final_reviewer", "valueString": r}));
        }
        let mut entity = json!({
            "what": {"identifier": {"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{id}")}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object"},
            "detail": details,
        });
        if let Some(c) = &ev.data_category {
            entity["description"] = json!(c);
        }
        entities.push(entity);
    }
    if let Some(pid) = &ev.patient_id {
        entities.push(json!({
            "what": {"identifier": {"system": "urn:hikae:patient-id", "value": pid}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person"},
        }));
    }
    let mut out = json!({
        "resourceType": "AuditEvent",
        "id": format!("hikae-{}", e.seq),
        "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": type_code, "display": type_display},
        "subtype": [{"system": "urn:hikae:audit-action", "code": ev.action.as_str()}],
        "action": ev.action.fhir_action(),
        "recorded": ts(e.at),
        "outcome": if ev.success { "0" } else { "4" },
        "purposeOfEvent": purposes,
        "agent": [agent],
        "source": {
            "observer": {"display": source},
            "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "1", "display": "End-user display device, diagnostic display"}],
        },
    });
    match (&ev.detail, ev.success) {
        (Some(d), false) => out["outcomeDesc"] = json!(d),
        (Some(d), true) => match entities.first_mut() {
            Some(first) => {
                if let Some(details) = first["detail"].as_array_mut() {
                    details.push(json!({"type": "detail", "valueString": d}));
                } else {
                    first["detail"] = json!([{"type": "detail", "valueString": d}]);
                }
            }
            None => entities.push(json!({"name": "Hikae", "description": d})),
        },
        (None, _) => {}
    }
    if !entities.is_empty() {
        out["entity"] = json!(entities);
    }
    out
}
