//! Rendering a record through its pack's templates: the HTML fragment (preview and the input
//! of the PDF layout), a standalone HTML page, plain text for pasting into the EHR later,
//! and the A4 PDF with its page frame (patient header, provenance footer).

use serde_json::{json, Map, Value};

use crate::{Pack, Template};
use hikae_doc::pdf::{self, PageFrame, Pdf};
use hikae_doc::{self as doc, Document};
use hikae_domain::error::{Error, Result};
use hikae_domain::record::{jst, Record, Status};

pub use hikae_domain::record::{context_lines, DOWNTIME_FOOTER, DRILL_MARK};

/// Variables a template sees: `v` raw values, `d` display strings, `labels`, `record`.
pub fn context(template: &Template, record: &Record) -> Result<tera::Context> {
    let form = &template.form;
    let labels: Map<String, Value> = form
        .fields
        .iter()
        .map(|f| (f.id.clone(), Value::String(f.label.ja.clone())))
        .collect();
    let meta = json!({
        "id": record.id,
        "version": record.version,
        "patient_id": record.patient.id,
        "patient_name": record.patient.name,
        "author": record.author,
        "final_reviewer": record.final_reviewer.clone().unwrap_or_default(),
        "status": record.status.as_str(),
        "status_label": record.status.label_ja(),
        "created_at": jst(record.created_at),
        "updated_at": jst(record.updated_at),
        "finalized_at": record.finalized_at.map(jst).unwrap_or_default(),
        "template_title": form.title.ja,
        "correction_reason": record.correction_reason.clone().unwrap_or_default(),
    });
    let mut ctx = tera::Context::new();
    ctx.insert("v", &Value::Object(form.complete(&record.values)));
    ctx.insert("d", &Value::Object(form.display(&record.values)));
    ctx.insert("labels", &Value::Object(labels));
    ctx.insert("record", &meta);
    Ok(ctx)
}

fn run(pack: &Pack, name: &str, ctx: &tera::Context) -> Result<String> {
    pack.tera
        .render(name, ctx)
        .map_err(|e| Error::Template(format!("{name}: {e}")))
}

/// The record as the HTML subset understood by `doc` (no page chrome).
pub fn html_fragment(pack: &Pack, template: &Template, record: &Record) -> Result<String> {
    run(pack, &template.html_name, &context(template, record)?)
}

/// Plain text, for pasting into the EHR once it is back.
pub fn text(pack: &Pack, template: &Template, record: &Record) -> Result<String> {
    let body = run(pack, &template.text_name, &context(template, record)?)?;
    let mut tail = context_lines(&record.context);
    tail.push(provenance_line(template, record));
    Ok(format!("{}\n---\n{}\n", body.trim_end(), tail.join("\n")))
}

/// The printable document model of the record.
pub fn document(pack: &Pack, template: &Template, record: &Record) -> Result<Document> {
    let html = html_fragment(pack, template, record)?;
    parsed(template, &html)
}

/// The HTML fragment for the on-screen preview, only once the strict parser (the tags and
/// attributes of the printable subset) has accepted it: the webview gets what the PDF is laid
/// out from and nothing else.
pub fn preview_html(pack: &Pack, template: &Template, record: &Record) -> Result<String> {
    let html = html_fragment(pack, template, record)?;
    parsed(template, &html)?;
    Ok(html)
}

fn parsed(template: &Template, html: &str) -> Result<Document> {
    doc::parse(html)
        .map_err(|e| Error::Template(format!("{} (rendered output) {e}", template.html_name)))
}

fn provenance_line(template: &Template, record: &Record) -> String {
    let p = &record.provenance;
    let mut s = format!(
        "様式: {} v{}（{} {}, #{}）　記録ID: {} 第{}版　作成: {} {}",
        template.form.title.ja,
        p.template_version,
        p.pack_id,
        p.pack_version,
        p.template_hash.get(..8).unwrap_or(&p.template_hash),
        record.id.get(..8).unwrap_or(&record.id),
        record.version,
        record.author,
        jst(record.created_at),
    );
    if let (Some(at), Some(rev)) = (record.finalized_at, &record.final_reviewer) {
        s.push_str(&format!("　確定: {}　最終確認者: {rev}", jst(at)));
    }
    s
}

/// Header and footer for every printed page of the record.
pub fn page_frame(template: &Template, record: &Record) -> PageFrame {
    let mut footer = vec![DOWNTIME_FOOTER.to_string()];
    footer.extend(context_lines(&record.context));
    footer.push(provenance_line(template, record));
    if let Some(reason) = &record.correction_reason {
        footer.push(format!(
            "訂正版（{}版を訂正）理由: {reason}",
            record.version.saturating_sub(1)
        ));
    }
    let draft = record.status == Status::Draft;
    let drill = record.context.drill_id.is_some();
    let mut marks = Vec::new();
    if drill {
        marks.push("訓練 DRILL");
    }
    if record.context.paper.is_some() {
        marks.push("後入力");
    }
    if draft {
        marks.push("下書き（未確定）");
    }
    PageFrame {
        header_left: format!("患者ID {}　{}", record.patient.id, record.patient.name),
        header_right: if drill {
            format!("【訓練】{}", template.form.title.ja)
        } else {
            template.form.title.ja.clone()
        },
        status_mark: (!marks.is_empty()).then(|| marks.join("・")),
        footer_lines: footer,
        watermark: if drill {
            Some(DRILL_MARK.to_string())
        } else {
            draft.then(|| "下書き DRAFT".to_string())
        },
        large_type: template.form.print.large_type,
    }
}

pub fn pdf(pack: &Pack, template: &Template, record: &Record) -> Result<Pdf> {
    pdf_framed(pack, template, record, page_frame(template, record))
}

/// The record's PDF with a frame the caller adjusted (the demo mark).
pub fn pdf_framed(
    pack: &Pack,
    template: &Template,
    record: &Record,
    frame: PageFrame,
) -> Result<Pdf> {
    let doc = document(pack, template, record)?;
    pdf::render(&doc, &frame, &pdf_title(template, record)).map_err(Error::layout)
}

pub fn pdf_title(template: &Template, record: &Record) -> String {
    format!(
        "{} {} {}",
        template.form.title.ja, record.patient.id, record.patient.name
    )
}

/// A standalone HTML page of the record (what a browser would print).
pub fn html_page(pack: &Pack, template: &Template, record: &Record) -> Result<String> {
    let body = html_fragment(pack, template, record)?;
    let frame = page_frame(template, record);
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mark = frame
        .status_mark
        .as_deref()
        .map(|m| format!("<span class=\"mark\">{}</span>", esc(m)))
        .unwrap_or_default();
    let footer: String = frame
        .footer_lines
        .iter()
        .map(|l| format!("<div>{}</div>", esc(l)))
        .collect();
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{css}</style></head>\n\
         <body class=\"{size}\"><header class=\"page\"><span>{left}</span>{mark}<span>{right}</span></header>\n\
         <main>{body}</main>\n<footer class=\"page\">{footer}</footer></body></html>\n",
        title = esc(&pdf_title(template, record)),
        css = PAGE_CSS,
        size = if frame.large_type { "large" } else { "normal" },
        left = esc(&frame.header_left),
        right = esc(&frame.header_right),
    ))
}

/// Print styles mirroring the PDF layout (A4, same font, pre-line whitespace).
pub const PAGE_CSS: &str = "@page{size:A4;margin:17mm 17mm 22mm}\
body{font-family:'BIZ UDPGothic',sans-serif;font-size:10.5pt;line-height:1.6;color:#000;margin:0}\
body.large{font-size:13.5pt}\
header.page{display:flex;justify-content:space-between;font-weight:bold;font-size:8.5pt;border-bottom:0.8pt solid #333;margin-bottom:8pt}\
header.page .mark{color:#555}\
footer.page{font-size:7pt;color:#555;border-top:0.4pt solid #888;margin-top:12pt}\
h1{font-size:1.55em;border-bottom:1.2pt solid #333;margin:0 0 8pt}\
h2{font-size:1.15em;background:#ebebeb;border-left:3pt solid #595959;padding-left:8pt;margin:10pt 0 4pt}\
h3{font-size:1.05em;margin:6pt 0 2pt}\
p,dd,td,th,li{white-space:pre-line}p{margin:0 0 .5em}p.note{color:#595959;font-size:.88em}\
dl{display:grid;grid-template-columns:max-content 1fr;column-gap:10pt;margin:0 0 .5em}\
dt{font-weight:bold;color:#333}dt,dd{border-bottom:.3pt solid #bfbfbf;margin:0}\
table{border-collapse:collapse;width:100%;font-size:.95em;margin-bottom:.8em}\
th,td{border:.5pt solid #737373;padding:4pt;text-align:left;vertical-align:top}\
th{background:#e6e6e6}thead{display:table-header-group}tr{break-inside:avoid}";
