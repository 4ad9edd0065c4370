//! `--format github`: one GitHub Actions workflow command per finding
//! (`::warning title=HS001 syn-retransmitted,file=x.pcap::…`), shown as annotations: at most
//! `--max-annotations` per rule (GitHub shows only the first few of a step anyway), then one
//! notice per rule counting those left out. With `$GITHUB_STEP_SUMMARY` set, a Markdown table of
//! the verdicts is appended to that file for the job's summary page. A capture that could not be
//! read is an `::error` annotation and an `error` row, always.

use super::locator;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Severity, Verdict};
use crate::report::{Emitter, InputError, Summary};
use std::io::{self, Write};

pub struct GithubEmitter<W: Write> {
    out: W,
    max_per_rule: usize,
    /// Per rule (code order): annotations written, and left out.
    shown: std::collections::BTreeMap<&'static str, (usize, u64)>,
    /// The Markdown summary's rows, one per capture.
    summary_rows: Vec<String>,
    summary_file: Option<std::path::PathBuf>,
}

impl<W: Write> GithubEmitter<W> {
    /// `max_per_rule` annotations at most per rule; the step summary goes to `summary_file`
    /// (`$GITHUB_STEP_SUMMARY`) when there is one.
    pub fn new(out: W, max_per_rule: usize, summary_file: Option<std::path::PathBuf>) -> Self {
        GithubEmitter {
            out,
            max_per_rule,
            shown: Default::default(),
            summary_rows: Vec::new(),
            summary_file,
        }
    }
}

/// Escaping for the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a property value (`title=`, `file=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl<W: Write> Emitter for GithubEmitter<W> {
    /// Never held back by `--max-annotations`.
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.summary_rows.push(format!(
            "| `{}` | error | | | | {} |",
            e.path.replace('|', "\\|"),
            e.located().replace('|', "\\|")
        ));
        writeln!(
            self.out,
            "::error title=synack: capture error,file={}::{}",
            property(&e.path),
            data(&e.located())
        )
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let (shown, left) = self.shown.entry(f.code).or_default();
        if *shown >= self.max_per_rule {
            *left += 1;
            return Ok(());
        }
        *shown += 1;
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        writeln!(
            self.out,
            "::{level} title={},file={}::{}",
            property(&format!("{} {}", f.code, f.name)),
            property(&f.capture),
            data(&format!("{} ({}) help: {}", f.message, locator(f), f.help))
        )
    }

    fn capture(&mut self, r: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()> {
        if let Some(v) = verdict {
            let (e, w, i) = v.by_severity();
            let failing: Vec<String> = v
                .tallies
                .iter()
                .filter(|t| t.failed())
                .map(|t| format!("{} {} ×{}", t.rule.code, t.rule.name, t.findings))
                .collect();
            let state = if v.error {
                "error"
            } else if v.failed() {
                "failed"
            } else {
                "passed"
            };
            self.summary_rows.push(format!(
                "| `{}` | {state} | {e} | {w} | {i} | {} |",
                r.capture.path.replace('|', "\\|"),
                failing.join(", ")
            ));
        }
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        for (code, (_, left)) in &self.shown {
            if *left > 0 {
                writeln!(
                    self.out,
                    "::notice title={}::{}",
                    property(&format!("{code} not all shown")),
                    data(&format!(
                        "{left} more {code} findings left out (--max-annotations {}); `synack lint` without --format github lists them all",
                        self.max_per_rule
                    ))
                )?;
            }
        }
        if let Some(path) = &self.summary_file {
            let mut md = String::from(
                "### synack lint\n\n| capture | verdict | errors | warnings | info | failing rules |\n|---|---|---|---|---|---|\n",
            );
            for row in &self.summary_rows {
                md.push_str(row);
                md.push('\n');
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            f.write_all(md.as_bytes())?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
