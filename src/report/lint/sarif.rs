//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards: one run, one `rules[]` entry per
//! code, the capture as the artifact of each result. `invocations[0].executionSuccessful` is
//! false when a capture could not be read, with one `toolExecutionNotifications` entry each
//! (its byte offset as the region).

use super::PrettyItems;
use crate::analyze::CaptureResult;
use crate::findings::{all_rules, Finding, Severity, Verdict};
use crate::report::{Emitter, InputError, Summary};
use serde_json::{json, Value};
use std::io::{self, Write};

pub struct SarifEmitter<W: Write> {
    out: W,
    /// `runs[0].results[]`: items at 8 spaces.
    results: PrettyItems,
    artifacts: Vec<String>,
    /// `invocations[0].toolExecutionNotifications`: one per capture not read.
    notifications: Vec<Value>,
}

impl<W: Write> SarifEmitter<W> {
    pub fn new(out: W) -> Self {
        SarifEmitter {
            out,
            results: PrettyItems::new(8),
            artifacts: Vec::new(),
            notifications: Vec::new(),
        }
    }

    fn artifact(&mut self, path: &str) -> usize {
        match self.artifacts.iter().position(|a| a == path) {
            Some(i) => i,
            None => {
                self.artifacts.push(path.to_string());
                self.artifacts.len() - 1
            }
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// SARIF wants URIs: relative paths stay relative (to the repository), with `/` separators.
fn uri(path: &str) -> String {
    path.replace('\\', "/")
}

impl<W: Write> Emitter for SarifEmitter<W> {
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        let index = self.artifact(&e.path);
        let mut physical = json!({"artifactLocation": {"uri": uri(&e.path), "index": index}});
        if let Some(offset) = e.offset {
            physical["region"] = json!({"byteOffset": offset});
        }
        self.notifications.push(json!({
            "level": "error",
            "message": {"text": e.message},
            "locations": [{"physicalLocation": physical}],
        }));
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let index = self.artifact(&f.capture);
        let rule_index = all_rules().position(|r| r.code == f.code).unwrap_or(0);
        let mut logical = Vec::new();
        if let Some(c) = f.connection {
            let name = match (&f.orig, &f.resp) {
                (Some(o), Some(r)) => format!("conn {c} {o} -> {r}"),
                _ => format!("conn {c}"),
            };
            logical.push(json!({"name": name, "kind": "object"}));
        }
        let mut result = json!({
            "ruleId": f.code,
            "ruleIndex": rule_index,
            "level": level(f.severity),
            "message": {"text": format!("{} ({})", f.message, f.help)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&f.capture), "index": index},
                },
                "logicalLocations": logical,
            }],
            "properties": {
                "frame": f.frame,
                "connection": f.connection,
                "ts": f.ts.map(|t| t.as_secs_f64()),
                "orig": f.orig,
                "resp": f.resp,
            },
        });
        if logical_is_empty(&result) {
            if let Some(loc) = result["locations"][0].as_object_mut() {
                loc.remove("logicalLocations");
            }
        }
        self.results.push(&result)
    }

    fn capture(&mut self, c: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        self.artifact(&c.capture.path);
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        let rules: Vec<Value> = all_rules()
            .map(|r| {
                json!({
                    "id": r.code,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": r.explain_text()},
                    "help": {"text": r.help},
                    "defaultConfiguration": {"level": level(r.severity)},
                })
            })
            .collect();
        let artifacts: Vec<Value> = self
            .artifacts
            .iter()
            .map(|a| json!({"location": {"uri": uri(a)}}))
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "synack",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": self.notifications.is_empty(),
                    "toolExecutionNotifications": self.notifications,
                }],
                "artifacts": artifacts,
                "results": [],
            }],
        });
        self.results.write_into(&mut self.out, &doc, "results")?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

fn logical_is_empty(result: &Value) -> bool {
    result["locations"][0]["logicalLocations"]
        .as_array()
        .is_some_and(|a| a.is_empty())
}
