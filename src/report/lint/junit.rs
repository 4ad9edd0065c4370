//! `--format junit`: JUnit XML for CI test reports: a testsuite per capture, a testcase per
//! rule, a failure where that rule's findings at or above `--fail-on` exceed the allowed count.
//! A capture that could not be read is a testsuite of its own with one `<error>`; one read only
//! up to a corrupt block has the `<error>` in its suite, before the rules.

use super::locator;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Verdict};
use crate::report::spill::{Grouped, Spill};
use crate::report::{Emitter, InputError, Summary};
use std::io::{self, Write};

pub struct JunitEmitter<W: Write> {
    out: W,
    /// The current capture's findings, as escaped lines each led by a newline, by rule.
    pending: Grouped,
    /// Every test suite, held until the totals for `<testsuites>` are known.
    suites: Spill,
    tests: u64,
    failures: u64,
    errors: u64,
    /// Errors not yet in a suite: a damaged capture's goes into its own suite when it comes.
    unplaced: Vec<InputError>,
}

impl<W: Write> JunitEmitter<W> {
    pub fn new(out: W) -> Self {
        JunitEmitter {
            out,
            pending: Grouped::default(),
            suites: Spill::default(),
            tests: 0,
            failures: 0,
            errors: 0,
            unplaced: Vec::new(),
        }
    }

    /// The testcase that says a file could not be read (or only in part).
    fn error_case(&mut self, suite: &str, e: &InputError) -> io::Result<()> {
        self.tests += 1;
        self.errors += 1;
        let s = &mut self.suites;
        writeln!(
            s,
            "    <testcase name=\"read capture\" classname=\"{suite}\">"
        )?;
        writeln!(
            s,
            "      <error type=\"capture-not-read\" message=\"{}\">{}</error>",
            xml(&e.located()),
            xml(&format!("{}: {}", e.path, e.located()))
        )?;
        writeln!(s, "    </testcase>")
    }
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

impl<W: Write> Emitter for JunitEmitter<W> {
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.unplaced.push(e.clone());
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let line = xml(&format!("{}: {}", locator(f), f.message));
        write!(self.pending.group(f.code), "\n{line}")
    }

    fn capture(&mut self, c: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()> {
        let mut findings = std::mem::take(&mut self.pending);
        let Some(v) = verdict else { return Ok(()) };
        let name = xml(&c.capture.path);
        let failures = v.tallies.iter().filter(|t| t.failed()).count() as u64;
        // This capture's own errors (a corrupt block in it, or in one of its merged files).
        let files: Vec<&str> = std::iter::once(c.capture.path.as_str())
            .chain(c.parts.iter().map(|p| p.path.as_str()))
            .collect();
        let (own, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unplaced)
            .into_iter()
            .partition(|e| files.contains(&e.path.as_str()));
        self.unplaced = rest;
        let tests = v.tallies.len() as u64 + own.len() as u64;
        self.tests += v.tallies.len() as u64;
        self.failures += failures;
        writeln!(
            self.suites,
            "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" skipped=\"0\">",
            own.len()
        )?;
        for e in &own {
            self.error_case(&name, e)?;
        }
        let s = &mut self.suites;
        for t in &v.tallies {
            let case = xml(&format!("{} {}", t.rule.code, t.rule.name));
            // The rule's findings, one per line: each was held led by a newline.
            let code = t.rule.code;
            if t.failed() {
                writeln!(s, "    <testcase name=\"{case}\" classname=\"{name}\">")?;
                write!(
                    s,
                    "      <failure type=\"{}\" message=\"{}\">",
                    t.severity,
                    xml(&format!(
                        "{} {} finding{} at or above {} ({} allowed)",
                        t.failing,
                        t.rule.name,
                        if t.failing == 1 { "" } else { "s" },
                        v.fail_on,
                        t.allowed
                    )),
                )?;
                findings.drain_to(code, s, 1)?;
                writeln!(s, "\n{}</failure>", xml(&format!("help: {}", t.rule.help)))?;
                writeln!(s, "    </testcase>")?;
            } else if t.findings == 0 {
                writeln!(s, "    <testcase name=\"{case}\" classname=\"{name}\"/>")?;
            } else {
                writeln!(s, "    <testcase name=\"{case}\" classname=\"{name}\">")?;
                write!(s, "      <system-out>")?;
                findings.drain_to(code, s, 1)?;
                writeln!(s, "</system-out>")?;
                writeln!(s, "    </testcase>")?;
            }
        }
        writeln!(s, "  </testsuite>")?;
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        // Captures that were never read: a suite each.
        for e in std::mem::take(&mut self.unplaced) {
            let name = xml(&e.path);
            writeln!(
                self.suites,
                "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">"
            )?;
            self.error_case(&name, &e)?;
            writeln!(self.suites, "  </testsuite>")?;
        }
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"synack lint\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
            self.tests, self.failures, self.errors
        )?;
        self.suites.drain_to(&mut self.out, 0)?;
        writeln!(self.out, "</testsuites>")?;
        self.out.flush()
    }
}
