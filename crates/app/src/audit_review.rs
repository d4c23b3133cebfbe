//! The administrator's review of the audit log (CLI `hikae audit`, the desktop's audit
//! screen): the chain check, filtered entries, and the export.

use super::Hikae;
use hikae_auth::session::Permission;
use hikae_domain::audit::{self, Entry, Finding};
use hikae_domain::Result;
use hikae_store::AuditQuery;

/// The whole log checked: what the chain check found (empty: intact).
#[derive(Debug)]
pub struct AuditCheck {
    pub entries: Vec<Entry>,
    pub findings: Vec<Finding>,
}

impl Hikae {
    /// Every entry, checked against its hash chain and the anchor.
    pub fn audit_check(&self) -> Result<AuditCheck> {
        self.require(Permission::ReviewAudit)?;
        let entries = self.store.audit_entries(&AuditQuery::default())?;
        let findings = audit::verify(&entries, self.store.audit_anchor()?);
        Ok(AuditCheck { entries, findings })
    }

    /// The entries matching `q`, oldest first.
    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<Entry>> {
        self.require(Permission::ReviewAudit)?;
        self.store.audit_entries(q)
    }

    /// Installs and rollbacks of packs on this PC, oldest first.
    pub fn pack_events(&self) -> Result<Vec<hikae_store::PackEvent>> {
        self.store.pack_events()
    }
}
