//! Working through a downtime procedure: start a run, tick steps (who and when), end it,
//! print it. Step numbers refer to the pack version the run was started with.

use hikae_auth::session::Permission;
use std::sync::Arc;

use super::Hikae;
use hikae_doc::pdf::{self, PageFrame, Pdf};
use hikae_doc::{Block, Document, Inline};
use hikae_domain::error::{Error, Result};
use hikae_domain::procedure::Procedure;
use hikae_domain::record::jst;
use hikae_packs::render::DOWNTIME_FOOTER;
use hikae_packs::Pack;
use hikae_store::ChecklistRun;

impl Hikae {
    /// A procedure offered by the active packs, with the pack that ships it.
    pub fn procedure(&self, id: &str) -> Result<(Arc<Pack>, Procedure)> {
        self.active_packs()
            .into_iter()
            .find_map(|p| {
                let proc = p.procedures.iter().find(|x| x.id == id).cloned();
                proc.map(|x| (p, x))
            })
            .ok_or_else(|| Error::Input(format!("procedure '{id}' not found in the active packs")))
    }

    /// The procedure exactly as the run showed it.
    fn procedure_of(&self, run: &ChecklistRun) -> Result<Procedure> {
        let pack = self.pack_version(&run.pack_id, &run.pack_version)?;
        pack.procedures
            .iter()
            .find(|p| p.id == run.procedure_id)
            .cloned()
            .ok_or_else(|| Error::Pack {
                file: format!("{} {}", run.pack_id, run.pack_version),
                message: format!("has no procedure '{}'", run.procedure_id),
            })
    }

    /// The run of `procedure_id` still in progress, if any (the newest one).
    pub fn open_checklist(&self, procedure_id: &str) -> Result<Option<ChecklistRun>> {
        self.require(Permission::Read)?;
        Ok(self
            .store
            .checklists(Some(procedure_id))?
            .into_iter()
            .find(|r| r.ended_at.is_none()))
    }

    pub fn start_checklist(&mut self, procedure_id: &str, by: &str) -> Result<ChecklistRun> {
        self.require(Permission::WriteDraft)?;
        let by = person(by)?;
        let (pack, _) = self.procedure(procedure_id)?;
        self.store
            .start_checklist(procedure_id, &pack.manifest.id, &pack.manifest.version, by)
    }

    /// Ticks (`done`) or unticks step `step` (0-based) of a run in progress.
    pub fn tick_step(
        &mut self,
        run_id: &str,
        step: usize,
        done: bool,
        by: &str,
    ) -> Result<ChecklistRun> {
        self.require(Permission::WriteDraft)?;
        let by = person(by)?;
        let run = self.store.checklist(run_id)?;
        let proc = self.procedure_of(&run)?;
        let s = proc.steps.get(step).ok_or_else(|| {
            Error::Input(format!(
                "procedure '{}' has {} steps; there is no step {}",
                proc.id,
                proc.steps.len(),
                step + 1
            ))
        })?;
        let e = hikae_domain::audit::Event::new(
            &self.actor,
            hikae_domain::audit::Action::ChecklistTick,
        )
        .detail(format!(
            "{} step {} {} by {by} (run {run_id})",
            proc.id,
            step + 1,
            if done { "done" } else { "undone" }
        ));
        self.store.audit_with_next_write(e);
        self.store.tick(run_id, step, &s.text.ja, done, by)?;
        self.store.checklist(run_id)
    }

    pub fn end_checklist(&mut self, run_id: &str, by: &str) -> Result<ChecklistRun> {
        self.require(Permission::WriteDraft)?;
        let by = person(by)?;
        self.store.end_checklist(run_id, by)
    }

    /// The contact sheets of the active packs, in pack order.
    pub fn contacts(&self) -> Vec<hikae_domain::procedure::Contact> {
        self.active_packs()
            .iter()
            .flat_map(|p| p.contacts.contacts.clone())
            .collect()
    }

    /// The checklist on paper: every step with its role, tick, who and when. Without a run,
    /// a blank sheet to tick by hand.
    pub fn checklist_pdf(&self, procedure_id: &str, run_id: Option<&str>) -> Result<Pdf> {
        // a blank sheet holds nothing about anyone: it prints for whoever is at the PC
        if run_id.is_some() {
            self.require(Permission::Read)?;
        }
        let run = run_id.map(|id| self.store.checklist(id)).transpose()?;
        let proc = match &run {
            Some(r) if r.procedure_id != procedure_id => {
                return Err(Error::Input(format!(
                    "checklist run {} belongs to procedure '{}', not '{procedure_id}'",
                    r.id, r.procedure_id
                )))
            }
            Some(r) => self.procedure_of(r)?,
            None => self.procedure(procedure_id)?.1,
        };
        let (doc, mut frame) = checklist_document(&proc, run.as_ref(), &self.contacts());
        self.mark_demo(&mut frame);
        pdf::render(
            &doc,
            &frame,
            &format!("{} 手順チェックリスト", proc.title.ja),
        )
        .map_err(Error::layout)
    }
}

fn person(by: &str) -> Result<&str> {
    let by = by.trim();
    if by.is_empty() {
        return Err(Error::Input("who did this? (a name is needed)".into()));
    }
    Ok(by)
}

/// The printable checklist (also used blank, for paper).
pub(crate) fn checklist_document(
    proc: &Procedure,
    run: Option<&ChecklistRun>,
    contacts: &[hikae_domain::procedure::Contact],
) -> (Document, PageFrame) {
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: Inline::plain(&format!("{}（{}）", proc.title.ja, proc.title.en)),
        },
        Block::Paragraph {
            text: Inline::plain(&proc.summary.ja),
            note: false,
        },
    ];
    let mut meta = Vec::new();
    if let Some(r) = run {
        meta.push((
            Inline::bold("開始"),
            Inline::plain(&format!("{}　{}", jst(r.started_at), r.started_by)),
        ));
        let end = match (&r.ended_at, &r.ended_by) {
            (Some(at), Some(by)) => format!("{}　{by}", jst(*at)),
            _ => "実施中".to_string(),
        };
        meta.push((Inline::bold("終了"), Inline::plain(&end)));
        meta.push((
            Inline::bold("実施済み"),
            Inline::plain(&format!(
                "{} / {} 手順",
                r.done_steps().len(),
                proc.steps.len()
            )),
        ));
    } else {
        meta.push((
            Inline::bold("開始"),
            Inline::plain("　　月　　日　　：　　　記入者"),
        ));
        meta.push((
            Inline::bold("終了"),
            Inline::plain("　　月　　日　　：　　　記入者"),
        ));
    }
    if !proc.basis.is_empty() {
        meta.push((Inline::bold("根拠"), Inline::plain(&proc.basis.join("、"))));
    }
    blocks.push(Block::KeyValue(meta));
    let rows = proc
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = run.and_then(|r| r.step_state(i));
            let done = state.is_some_and(|t| t.done);
            let mut text = s.text.ja.clone();
            if let Some(c) = s
                .contact
                .as_ref()
                .and_then(|c| contacts.iter().find(|x| &x.id == c))
            {
                text.push_str(&format!("\n連絡先：{} {}", c.label.ja, c.value));
            }
            vec![
                Inline::bold(if done { "✓" } else { "□" }),
                Inline::plain(&(i + 1).to_string()),
                Inline::plain(s.role.label_ja()),
                Inline::plain(&text),
                Inline::plain(
                    &state
                        .filter(|t| t.done)
                        .map(|t| format!("{}\n{}", t.by, jst(t.at)))
                        // room to write by hand: name, then the time
                        .unwrap_or_else(|| "　　　　　　　\n　　　：　　".to_string()),
                ),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        header: Some(
            ["済", "No.", "担当", "手順", "実施者・時刻"]
                .iter()
                .map(|h| Inline::bold(h))
                .collect(),
        ),
        rows,
    });
    if let Some(r) = run {
        let unticked: Vec<_> = r.ticks.iter().filter(|t| !t.done).collect();
        if !unticked.is_empty() {
            blocks.push(Block::Heading {
                level: 2,
                text: Inline::plain("取り消された実施記録"),
            });
            blocks.push(Block::List {
                ordered: false,
                items: unticked
                    .iter()
                    .map(|t| Inline::plain(&format!("手順{}　{}　{}", t.step + 1, t.by, jst(t.at))))
                    .collect(),
            });
        }
    }
    let frame = PageFrame {
        header_left: "ダウンタイム手順チェックリスト".to_string(),
        header_right: proc.title.ja.clone(),
        status_mark: None,
        footer_lines: vec![
            DOWNTIME_FOOTER.to_string(),
            match run {
                Some(r) => format!(
                    "手順: {}（{} {}）　実施記録ID: {}",
                    proc.id,
                    r.pack_id,
                    r.pack_version,
                    r.id.get(..8).unwrap_or(&r.id)
                ),
                None => format!("手順: {}　紙で記入する用紙", proc.id),
            },
        ],
        watermark: None,
        large_type: false,
    };
    (Document { blocks }, frame)
}
