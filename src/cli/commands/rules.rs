//! `synack rules`: every rule with its code, name and default severity, as a table or JSON.

use super::super::{stdout, ExitStatus, RulesFormat};
use crate::findings::all_rules;
use comfy_table::{presets, ContentArrangement, Table};
use std::io::Write;

pub(in crate::cli) fn rules(format: RulesFormat) -> anyhow::Result<ExitStatus> {
    let mut out = stdout();
    match format {
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = all_rules()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity,
                        "summary": r.summary,
                        "help": r.help,
                        "explain": r.explain_text(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        RulesFormat::Table => {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED);
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_header(vec!["Code", "Name", "Default", "Fires when"]);
            for r in all_rules() {
                t.add_row(vec![r.code, r.name, r.severity.name(), r.summary]);
            }
            writeln!(out, "{t}")?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}
