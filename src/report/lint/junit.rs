//! `--format junit`: JUnit XML for CI test reports: a testsuite per capture, a testcase per
//! rule, a failure where that rule's findings at or above `--fail-on` exceed the allowed count.

use super::locator;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Verdict};
use crate::report::{Emitter, Summary};
use std::fmt::Write as _;
use std::io::{self, Write};

pub struct JunitEmitter<W: Write> {
    out: W,
    pending: Vec<Finding>,
    suites: String,
    tests: u64,
    failures: u64,
}

impl<W: Write> JunitEmitter<W> {
    pub fn new(out: W) -> Self {
        JunitEmitter {
            out,
            pending: Vec::new(),
            suites: String::new(),
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
        self.pending.push(f.clone());
        Ok(())
    }

    fn capture(&mut self, c: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()> {
        let findings = std::mem::take(&mut self.pending);
        let Some(v) = verdict else { return Ok(()) };
        let name = xml(&c.capture.path);
        let failures = v.tallies.iter().filter(|t| t.failed()).count() as u64;
        let tests = v.tallies.len() as u64;
        self.tests += tests;
        self.failures += failures;
        let s = &mut self.suites;
        let _ = writeln!(
            s,
            "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\" skipped=\"0\">",
            u8::from(v.error)
        );
        for t in &v.tallies {
            let case = xml(&format!("{} {}", t.rule.code, t.rule.name));
            let lines: Vec<String> = findings
                .iter()
                .filter(|f| f.code == t.rule.code)
                .map(|f| format!("{}: {}", locator(f), f.message))
                .collect();
            if t.failed() {
                let _ = writeln!(s, "    <testcase name=\"{case}\" classname=\"{name}\">");
                let _ = writeln!(
                    s,
                    "      <failure type=\"{}\" message=\"{}\">{}\n{}</failure>",
                    t.severity,
                    xml(&format!(
                        "{} {} finding{} at or above {} ({} allowed)",
                        t.failing,
                        t.rule.name,
                        if t.failing == 1 { "" } else { "s" },
                        v.fail_on,
                        t.allowed
                    )),
                    xml(&lines.join("\n")),
                    xml(&format!("help: {}", t.rule.help))
                );
                let _ = writeln!(s, "    </testcase>");
            } else if lines.is_empty() {
                let _ = writeln!(s, "    <testcase name=\"{case}\" classname=\"{name}\"/>");
            } else {
                let _ = writeln!(s, "    <testcase name=\"{case}\" classname=\"{name}\">");
                let _ = writeln!(
                    s,
                    "      <system-out>{}</system-out>",
                    xml(&lines.join("\n"))
                );
                let _ = writeln!(s, "    </testcase>");
            }
        }
        let _ = writeln!(s, "  </testsuite>");
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"synack lint\" tests=\"{}\" failures=\"{}\">",
            self.tests, self.failures
        )?;
        self.out.write_all(self.suites.as_bytes())?;
        writeln!(self.out, "</testsuites>")?;
        self.out.flush()
    }
}
