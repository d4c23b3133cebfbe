//! Who is logged in, and what each role may do. The rules live here, in the core, so no
//! frontend can skip them.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::roster::StaffRole;
use hikae_domain::audit::Actor;

/// How long break-glass access lasts before it must be renewed.
pub const BREAK_GLASS_HOURS: i64 = 4;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreakGlass {
    pub reason: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Session {
    pub id: String,
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub started_at: DateTime<Utc>,
    /// Set for emergency access without an account.
    pub break_glass: Option<BreakGlass>,
}

impl Session {
    pub fn new(staff_id: &str, name: &str, role: StaffRole) -> Session {
        Session {
            id: hikae_domain::record::new_id(),
            staff_id: staff_id.to_string(),
            name: name.to_string(),
            role,
            started_at: Utc::now(),
            break_glass: None,
        }
    }

    pub fn emergency(name: &str, role: StaffRole, reason: &str, now: DateTime<Utc>) -> Session {
        let id = hikae_domain::record::new_id();
        Session {
            staff_id: format!("break-glass:{}", &id[..8]),
            id,
            name: name.to_string(),
            role,
            started_at: now,
            break_glass: Some(BreakGlass {
                reason: reason.to_string(),
                expires_at: now + Duration::hours(BREAK_GLASS_HOURS),
            }),
        }
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.break_glass
            .as_ref()
            .is_some_and(|b| now >= b.expires_at)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: self.staff_id.clone(),
            name: self.name.clone(),
            role: Some(self.role.as_str().to_string()),
            session: Some(self.id.clone()),
            break_glass: self.break_glass.is_some(),
        }
    }
}

/// Things a role may or may not do.
#[derive(Debug, Clone, PartialEq)]
pub enum Permission<'a> {
    /// See, search, print or export patient records.
    Read,
    /// Start or edit a draft.
    WriteDraft,
    /// Finalize (or correct) a record of this template.
    Finalize { template_id: &'a str },
    /// Install or roll back template packs, install rosters, enrol accounts.
    Administer,
    /// Start a sync run or put a rejected record back in line (sends data, shows none).
    Sync,
    /// Read the audit log in the app.
    ReviewAudit,
    /// Declare or end a downtime; start, end or purge a drill.
    Continuity,
}

/// Templates whose finalization is a doctor's responsibility (the content is a medical
/// judgement signed by the responsible physician).
pub const DOCTOR_ONLY: &[&str] = &["discharge-summary", "referral-letter"];

pub fn allowed(role: StaffRole, p: &Permission) -> bool {
    use StaffRole::*;
    match p {
        Permission::Read | Permission::WriteDraft => {
            matches!(role, Nurse | ChargeNurse | Doctor | Clerk)
        }
        Permission::Finalize { template_id } if DOCTOR_ONLY.contains(template_id) => role == Doctor,
        Permission::Finalize { .. } => matches!(role, Nurse | ChargeNurse | Doctor),
        Permission::Continuity => matches!(role, ChargeNurse | Admin),
        Permission::Administer | Permission::ReviewAudit => role == Admin,
        Permission::Sync => true,
    }
}

/// The refusal, in words a person can act on.
pub fn refusal(role: StaffRole, p: &Permission) -> String {
    match p {
        Permission::Read => format!("{} does not see patient records here", role.label_ja()),
        Permission::WriteDraft => format!("{} cannot write records", role.label_ja()),
        Permission::Finalize { template_id } if DOCTOR_ONLY.contains(template_id) => format!(
            "only a doctor can finalize a {template_id} (logged in as {})",
            role.label_ja()
        ),
        Permission::Finalize { template_id } => {
            format!("{} cannot finalize a {template_id}", role.label_ja())
        }
        Permission::Administer => "only an administrator can do this".into(),
        Permission::ReviewAudit => "only an administrator can review the audit log".into(),
        Permission::Sync => "sync is not allowed".into(),
        Permission::Continuity => format!(
            "only a charge nurse or an administrator declares downtime and runs drills (logged in as {})",
            role.label_ja()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_decide() {
        let ds = Permission::Finalize {
            template_id: "discharge-summary",
        };
        let sbar = Permission::Finalize {
            template_id: "sbar-handover",
        };
        assert!(allowed(StaffRole::Doctor, &ds));
        assert!(!allowed(StaffRole::Nurse, &ds));
        assert!(allowed(StaffRole::Nurse, &sbar));
        assert!(!allowed(StaffRole::Clerk, &sbar));
        assert!(allowed(StaffRole::Clerk, &Permission::WriteDraft));
        assert!(!allowed(StaffRole::Nurse, &Permission::Administer));
        assert!(
            !allowed(StaffRole::Admin, &ds),
            "administrators are not clinicians"
        );
    }

    #[test]
    fn break_glass_expires() {
        let t = Utc::now();
        let s = Session::emergency("看護師 緊急", StaffRole::Nurse, "認証停止", t);
        assert!(!s.expired(t + Duration::hours(3)));
        assert!(s.expired(t + Duration::hours(BREAK_GLASS_HOURS)));
        assert!(s.actor().break_glass);
    }
}
