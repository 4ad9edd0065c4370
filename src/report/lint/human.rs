//! `--format human`: for each capture, findings grouped by rule (errors first, then warnings,
//! then info) with their count, a `-->`
//! locator and the message for each, the rule's help line, and the capture's verdict; a verdict
//! line for the whole run at the end: `error` when a capture could not be read (each named
//! where it happened), whatever the findings.

use super::locator;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Severity, Verdict};
use crate::report::spill::Grouped;
use crate::report::{Emitter, InputError, Summary};
use std::io::{self, Write};

pub struct HumanEmitter<W: Write> {
    out: W,
    color: bool,
    /// The current capture's findings, as text, by rule: memory does not grow with them.
    pending: Grouped,
    verdicts: Vec<Verdict>,
    /// Captures not read: the run's verdict is `error`.
    errors: u64,
}

impl<W: Write> HumanEmitter<W> {
    pub fn new(out: W, color: bool) -> Self {
        HumanEmitter {
            out,
            color,
            pending: Grouped::default(),
            verdicts: Vec::new(),
            errors: 0,
        }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(s.name(), code)
    }
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn counts(errors: u64, warnings: u64, info: u64) -> String {
    format!(
        "{}, {}, {info} info",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

impl<W: Write> Emitter for HumanEmitter<W> {
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors += 1;
        writeln!(
            self.out,
            "{}: {}: {}\n",
            self.paint("error", "1;31"),
            e.path,
            e.located()
        )
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let out = self.pending.group(f.code);
        writeln!(out, "  --> {}", locator(f))?;
        writeln!(out, "      {}", f.message)
    }

    fn capture(&mut self, c: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()> {
        let mut findings = std::mem::take(&mut self.pending);
        let Some(v) = verdict else { return Ok(()) };
        // Errors first, then warnings, then info; by code within each.
        let mut shown: Vec<_> = v.tallies.iter().filter(|t| t.findings > 0).collect();
        shown.sort_by_key(|t| std::cmp::Reverse(t.severity));
        for t in shown {
            let title = format!("{} {}", t.rule.code, t.rule.name);
            writeln!(
                self.out,
                "{} [{}] {}",
                self.paint(&title, "1"),
                self.severity(t.severity),
                plural(t.findings, "finding")
            )?;
            findings.drain_to(t.rule.code, &mut self.out, 0)?;
            writeln!(self.out, "  = help: {}", t.rule.help)?;
            writeln!(self.out)?;
        }
        let (e, w, i) = v.by_severity();
        let failing: Vec<String> = v
            .tallies
            .iter()
            .filter(|t| t.failed())
            .map(|t| format!("{} {} > {} allowed", t.rule.code, t.failing, t.allowed))
            .collect();
        let result = if v.error {
            self.paint("error", "1;31")
        } else if failing.is_empty() {
            self.paint("passed", "1;32")
        } else {
            format!("{} ({})", self.paint("failed", "1;31"), failing.join(", "))
        };
        writeln!(
            self.out,
            "{}: {}, {}; {}: {result}",
            c.capture.path,
            plural(c.capture.stats.packets, "packet"),
            plural(c.connections, "connection"),
            counts(e, w, i)
        )?;
        writeln!(self.out)?;
        self.verdicts.push(v.clone());
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        let (mut e, mut w, mut i) = (0, 0, 0);
        for v in &self.verdicts {
            let (a, b, c) = v.by_severity();
            e += a;
            w += b;
            i += c;
        }
        let failed = self.verdicts.iter().filter(|v| v.failed()).count() as u64;
        let fail_on = self
            .verdicts
            .first()
            .map_or(Severity::Warning, |v| v.fail_on);
        let n = self.verdicts.len() as u64;
        let verdict = if self.errors > 0 || self.verdicts.iter().any(|v| v.error) {
            self.paint("error", "1;31")
        } else if failed == 0 {
            self.paint("passed", "1;32")
        } else {
            self.paint("failed", "1;31")
        };
        let not_read = if self.errors > 0 {
            format!(" ({} not read)", self.errors)
        } else {
            String::new()
        };
        writeln!(
            self.out,
            "synack lint: {} ({}) in {}{not_read}; fail-on {fail_on}: {} of {} failed: {verdict}",
            plural(e + w + i, "finding"),
            counts(e, w, i),
            plural(n, "capture"),
            failed,
            n
        )?;
        self.out.flush()
    }
}
