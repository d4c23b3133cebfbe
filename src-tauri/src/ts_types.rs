//! The TypeScript side of the IPC, generated from the Rust types: `ui/src/lib/generated/types.ts`
//! (every type a command takes or returns, or an event carries) and `errors.ts` (every error
//! code). The test fails while either file differs from what the Rust code says;
//! `bash scripts/gen-types.sh` (HIKAE_BLESS=1) writes them.

use std::any::TypeId;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TypeVisitor, TS};

/// One `export type` of types.ts.
struct Decl {
    id: TypeId,
    name: String,
    text: String,
    /// The types its declaration names (by Rust type, with the TypeScript name).
    uses: Vec<(TypeId, String)>,
}

fn decl<T: TS + 'static>(cfg: &Config) -> Decl {
    struct Uses<'a>(&'a Config, Vec<(TypeId, String)>);
    impl TypeVisitor for Uses<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            // only named types are declared (primitives and containers have no output path)
            if U::output_path().is_some() {
                self.1.push((TypeId::of::<U>(), U::ident(self.0)));
            }
        }
    }
    let mut uses = Uses(cfg, Vec::new());
    T::visit_dependencies(&mut uses);
    let mut text = T::docs().unwrap_or_default();
    text.push_str("export ");
    text.push_str(&T::decl(cfg));
    Decl {
        id: TypeId::of::<T>(),
        name: T::ident(cfg),
        text,
        uses: uses.1,
    }
}

macro_rules! decls {
    ($cfg:expr; $($t:ty),* $(,)?) => { vec![$(decl::<$t>($cfg)),*] };
}

/// Every type that crosses the IPC, in the order of types.ts. A type another one names must be
/// here too (the test says which is missing).
fn declarations() -> Vec<Decl> {
    use crate::{audit, continuity, error, info, printing, procedures, records, session, sync};
    use hikae_app::{downtime, drill, form, monitor, procedure, record};
    // the UI reads ids, counts and revisions as plain numbers (all far below 2^53)
    let cfg = &Config::new().with_large_int("number");
    decls![cfg;
        // forms and their values
        form::L10n,
        form::FieldType,
        form::SelectOption,
        form::FieldDef,
        form::PrintOptions,
        form::FormDef,
        form::CellShape,
        form::ValueShape,
        form::RowShape,
        form::ValuesShape,
        form::Problem,
        form::FieldError,
        hikae_app::Unprintable,
        // records
        record::Patient,
        record::Status,
        record::Provenance,
        downtime::DowntimeMark,
        record::PaperOrigin,
        record::Prefilled,
        record::Carried,
        hikae_app::phrases::Phrase,
        record::Context,
        record::Record,
        records::RecordView,
        records::Saved,
        records::Row,
        // installation, packs, procedures
        info::PackInfo,
        info::AppInfo,
        info::TemplateInfo,
        procedure::Role,
        procedure::Step,
        procedure::Procedure,
        procedure::Contact,
        info::Procedures,
        // errors, paper
        error::CmdError,
        printing::Exported,
        hikae_app::print::Printer,
        printing::Printed,
        hikae_app::BatchProgress,
        procedures::StepState,
        procedures::RunView,
        // who is at the keyboard, the audit log
        session::SessionView,
        session::SetupView,
        hikae_app::audit::Action,
        hikae_app::audit::Actor,
        audit::EntryView,
        audit::AuditView,
        // sync back
        hikae_app::OutboxCounts,
        hikae_app::sync::Phase,
        hikae_app::sync::Progress,
        sync::SyncStatus,
        hikae_app::sync::Outcome,
        hikae_app::sync::RowState,
        hikae_app::sync::ReconciliationRow,
        hikae_app::sync::Unmapped,
        hikae_app::PatientMapping,
        hikae_app::sync::Reconciliation,
        // business continuity: monitor, downtime, drills, the print pack
        downtime::ServiceKind,
        monitor::State,
        monitor::ServiceStatus,
        downtime::Scope,
        continuity::DowntimeView,
        monitor::Suggestion,
        drill::Targets,
        drill::Scenario,
        drill::MilestoneKey,
        drill::Milestone,
        drill::StepTiming,
        drill::MissedStep,
        drill::RecordCounts,
        drill::Report,
        drill::Summary,
        continuity::StatusView,
        continuity::PaperArg,
        hikae_app::TemplateCopies,
        hikae_app::PrintPackRequest,
        // the ward snapshot
        hikae_app::snapshot::CensusRow,
        hikae_app::snapshot::WardCopy,
        hikae_app::Census,
        hikae_app::snapshot::Allergy,
        hikae_app::snapshot::Medication,
        hikae_app::snapshot::Problem,
        hikae_app::snapshot::Vital,
        hikae_app::snapshot::DowntimeDocument,
        hikae_app::PatientSummary,
        hikae_app::snapshot::Refreshed,
        // the fleet
        hikae_app::fleet::SelfTestVerdict,
        hikae_app::fleet::Readiness,
        hikae_app::fleet::Flag,
        hikae_app::fleet::FleetRow,
        hikae_app::fleet::FleetReport,
        hikae_app::fleet::Heartbeat,
        hikae_app::channel::ChannelStatus,
        hikae_app::channel::ChannelCheck,
    ]
}

const TYPES_HEADER: &str =
    "// Generated from the Rust types by `bash scripts/gen-types.sh`; do not edit.\n";
const ERRORS_HEADER: &str =
    "// Generated from the Rust error codes by `bash scripts/gen-types.sh`; do not edit.\n";

fn types_ts(decls: &[Decl]) -> String {
    let mut out = String::from(TYPES_HEADER);
    // CmdError's code is one of them
    out.push_str("import type { ErrorCode } from \"./errors\";\n");
    for d in decls {
        out.push('\n');
        out.push_str(&d.text);
        out.push('\n');
    }
    out
}

fn errors_ts() -> String {
    let codes: Vec<String> = hikae_app::Error::CODES
        .iter()
        .chain(crate::error::SHELL_CODES)
        .map(|c| serde_json::to_string(c).expect("a code is a string"))
        .collect();
    format!(
        "{ERRORS_HEADER}export const ERROR_CODES = [{}] as const;\n\
         export type ErrorCode = (typeof ERROR_CODES)[number];\n",
        codes.join(", ")
    )
}

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/generated")
}

#[test]
fn every_declared_type_is_named_once_and_names_only_declared_types() {
    let decls = declarations();
    let ids: BTreeSet<TypeId> = decls.iter().map(|d| d.id).collect();
    let mut names = BTreeSet::new();
    for d in &decls {
        assert!(
            names.insert(&d.name),
            "two types are called {} in TypeScript",
            d.name
        );
        for (id, name) in &d.uses {
            assert!(
                ids.contains(id),
                "{} names {name}, which types.ts does not declare: add its Rust type to \
                 `declarations()` in src-tauri/src/ts_types.rs",
                d.name
            );
        }
    }
    let codes: BTreeSet<&str> = hikae_app::Error::CODES
        .iter()
        .chain(crate::error::SHELL_CODES)
        .copied()
        .collect();
    assert_eq!(
        codes.len(),
        hikae_app::Error::CODES.len() + crate::error::SHELL_CODES.len(),
        "a shell code repeats a core code"
    );
}

/// The files on disk are what the Rust code generates. `HIKAE_BLESS=1` writes them instead.
#[test]
fn generated_typescript_is_up_to_date() {
    let dir = generated_dir();
    let files = [
        ("types.ts", types_ts(&declarations())),
        ("errors.ts", errors_ts()),
    ];
    if std::env::var_os("HIKAE_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).expect("create ui/src/lib/generated");
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).expect("write a generated file");
        }
        return;
    }
    let stale: Vec<&str> = files
        .iter()
        .filter(|(name, text)| {
            std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(name, _)| *name)
        .collect();
    assert!(
        stale.is_empty(),
        "out of date with the Rust types: ui/src/lib/generated/{}; run `bash scripts/gen-types.sh` \
         and commit the result",
        stale.join(", ui/src/lib/generated/")
    );
}
