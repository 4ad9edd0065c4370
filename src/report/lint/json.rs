//! `--format json` for lint: the findings, and the verdict of each capture and of the run
//! (`failed` also when a capture could not be read: `errors` says which).
//! Findings are written as they come (held in a [`PrettyItems`]), so memory does not grow with
//! them.

use super::PrettyItems;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Verdict};
use crate::report::{Emitter, InputError, Summary, SCHEMA_VERSION};
use serde_json::{json, Value};
use std::io::{self, Write};

pub struct LintJsonEmitter<W: Write> {
    out: W,
    /// `findings[]` sits at the top level: items at 4 spaces.
    findings: PrettyItems,
    captures: Vec<Value>,
    failed: bool,
    fail_on: Option<String>,
    errors: Vec<InputError>,
}

impl<W: Write> LintJsonEmitter<W> {
    pub fn new(out: W) -> Self {
        LintJsonEmitter {
            out,
            findings: PrettyItems::new(4),
            captures: Vec::new(),
            failed: false,
            fail_on: None,
            errors: Vec::new(),
        }
    }
}

impl<W: Write> Emitter for LintJsonEmitter<W> {
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(e.clone());
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.findings.push(f)
    }

    fn capture(&mut self, c: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()> {
        let Some(v) = verdict else { return Ok(()) };
        self.failed |= v.failed();
        self.fail_on = Some(v.fail_on.to_string());
        let rules: Vec<Value> = v
            .tallies
            .iter()
            .filter(|t| t.findings > 0)
            .map(|t| {
                json!({
                    "code": t.rule.code,
                    "name": t.rule.name,
                    "severity": t.severity,
                    "count": t.findings,
                    "allowed": t.allowed,
                    "failed": t.failed(),
                })
            })
            .collect();
        self.captures.push(json!({
            "path": c.capture.path,
            "findings": v.findings(),
            "failed": v.failed(),
            "rules": rules,
        }));
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        let doc = json!({
            "schema": SCHEMA_VERSION,
            "synack_version": env!("CARGO_PKG_VERSION"),
            "fail_on": self.fail_on,
            "failed": self.failed || !self.errors.is_empty(),
            "errors": self.errors,
            "captures": self.captures,
            "findings": [],
        });
        self.findings.write_into(&mut self.out, &doc, "findings")?;
        writeln!(self.out)?;
        self.out.flush()
    }
}
