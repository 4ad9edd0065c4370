//! `--format junit`: JUnit XML for CI test reports: a testsuite per capture, a testcase per
//! rule, a failure where that rule's findings at or above `--fail-on` exceed the allowed count.

use super::locator;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Verdict};
use crate::report::spill::{Grouped, Spill};
use crate::report::{Emitter, Summary};
use std::io::{self, Write};

pub struct JunitEmitter<W: Write> {
    out: W,
    /// The current capture's findings, as escaped lines each led by a newline, by rule.
    pending: Grouped,
    /// Every test suite, held until the totals for `<testsuites>` are known.
    suites: Spill,
    tests: u64,
    failures: u64,
}

impl<W: Write> JunitEmitter<W> {
    pub fn new(out: W) -> Self {
        JunitEmitter {
            out,
            pending: Grouped::default(),
            suites: Spill::default(),
            tests: 0,
            failures: 0,
        }
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
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let line = xml(&format!("{}: {}", locator(f), f.message));
        write!(self.pending.group(f.code), "\n{line}")
    }

    fn capture(&mut self, c: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()> {
        let mut findings = std::mem::take(&mut self.pending);
        let Some(v) = verdict else { return Ok(()) };
        let name = xml(&c.capture.path);
        let failures = v.tallies.iter().filter(|t| t.failed()).count() as u64;
        let tests = v.tallies.len() as u64;
        self.tests += tests;
        self.failures += failures;
        let s = &mut self.suites;
        writeln!(
            s,
            "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" skipped=\"0\">",
            u8::from(v.error)
        )?;
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
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"synack lint\" tests=\"{}\" failures=\"{}\">",
            self.tests, self.failures
        )?;
        self.suites.drain_to(&mut self.out, 0)?;
        writeln!(self.out, "</testsuites>")?;
        self.out.flush()
    }
}
