//! Stock phrases (定型文): the pack's, per template field, and each user's own (kept in the
//! encrypted store, per account). The form inserts them with one shortcut.

use serde::Serialize;

use hikae_domain::audit::{Action, Event};
use hikae_domain::error::{Error, Result};
use hikae_domain::form::FieldType;

use crate::auth::Permission;
use crate::Hikae;

/// A phrase the form offers for a field.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Phrase {
    pub field: String,
    pub text: String,
    /// Kana reading, to find it by typing kana or romaji.
    pub reading: Option<String>,
    /// The user's own phrase (its id, to delete it); `None` for the pack's.
    pub personal: Option<i64>,
}

impl Hikae {
    /// The phrases of every text field of `template_id`: the pack's, then the user's own.
    pub fn phrases(&self, template_id: &str) -> Result<Vec<Phrase>> {
        self.require(Permission::WriteDraft)?;
        let bound = self.template(template_id)?;
        let t = bound.template();
        let mut out: Vec<Phrase> = t
            .scope
            .phrases
            .iter()
            .flat_map(|(field, list)| {
                list.iter().map(move |p| Phrase {
                    field: field.clone(),
                    text: p.text().to_string(),
                    reading: p.reading().map(String::from),
                    personal: None,
                })
            })
            .collect();
        for p in self.store.personal_phrases(&self.actor.id, template_id)? {
            out.push(Phrase {
                field: p.field,
                text: p.text,
                reading: p.reading,
                personal: Some(p.id),
            });
        }
        Ok(out)
    }

    /// Saves one of the user's own phrases for a text field of `template_id`.
    pub fn save_phrase(
        &mut self,
        template_id: &str,
        field: &str,
        text: &str,
        reading: Option<&str>,
    ) -> Result<Phrase> {
        self.require(Permission::WriteDraft)?;
        let bound = self.template(template_id)?;
        let def =
            bound.template().form.field(field).ok_or_else(|| {
                Error::Input(format!("'{field}': no such field in {template_id}"))
            })?;
        if !matches!(def.kind, FieldType::Text | FieldType::Multiline) {
            return Err(Error::Input(format!(
                "'{field}': phrases go into text fields"
            )));
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Input("an empty phrase".into()));
        }
        let n = text.chars().count();
        if n > hikae_packs::MAX_PHRASE {
            return Err(Error::Input(format!(
                "a phrase of {n} characters; at most {}",
                hikae_packs::MAX_PHRASE
            )));
        }
        let reading = reading.map(str::trim).filter(|r| !r.is_empty());
        let e = Event::new(&self.actor, Action::Settings)
            .detail(format!("personal phrase saved for {template_id}.{field}"));
        self.store.audit_with_next_write(e);
        let id = self
            .store
            .save_phrase(&self.actor.id, template_id, field, text, reading)?;
        Ok(Phrase {
            field: field.to_string(),
            text: text.to_string(),
            reading: reading.map(String::from),
            personal: Some(id),
        })
    }

    /// Deletes one of the user's own phrases.
    pub fn delete_phrase(&mut self, id: i64) -> Result<()> {
        self.require(Permission::WriteDraft)?;
        let e = Event::new(&self.actor, Action::Settings).detail("personal phrase deleted");
        self.store.audit_with_next_write(e);
        self.store.delete_phrase(&self.actor.id, id)
    }
}
