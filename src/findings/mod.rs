//! Findings: every anomaly is a coded finding, never a log line. One file per rule family
//! (handshake, reset, half-open, TIME-WAIT, capture quality); each rule has a code that never
//! changes meaning, a name, a default severity, an `explain` text (its doc comment: What it
//! means / Why it matters / What to do / RFC reference) and a help line naming the next step.
//!
//! Connection rules are checked when a connection ends; capture rules (and the three that need
//! the whole timeline, HS005, SC001 and TW001) when a capture has been read.

mod capture;
mod config;
mod data;
mod half_open;
mod handshake;
mod reset;
mod scan;
mod time_wait;
mod verdict;

pub use config::{known_codes, parse_allow, parse_severity_override, RuleConfig, Thresholds};
pub use scan::{Attempts, Failure, SynAttempt};
pub use verdict::{Counts, RuleTally, Verdict};

use crate::analyze::CaptureResult;
use crate::tcp::Connection;
use crate::time::Timestamp;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!("{s:?} is not a severity (info, warning, error)")),
        }
    }
}

/// A rule: what CONTRACT.md's table says of it, and how to explain it.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// CONTRACT.md's "fires when".
    pub summary: &'static str,
    /// What it means / Why it matters / What to do / RFC reference.
    pub explain: &'static str,
    /// The next step, printed under each finding.
    pub help: &'static str,
}

impl Rule {
    /// The explanation as prose: the doc comment's lines without their leading space.
    pub fn explain_text(&self) -> String {
        let lines: Vec<&str> = self
            .explain
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        lines.join("\n").trim().to_string()
    }
}

/// Declares a family's rules; each rule's doc comment becomes its `explain` text.
macro_rules! rules {
    ($(
        $(#[doc = $doc:literal])*
        $konst:ident = $code:literal, $name:literal, $sev:ident,
        summary: $summary:literal,
        help: $help:literal;
    )*) => {
        $(
            pub const $konst: $crate::findings::Rule = $crate::findings::Rule {
                code: $code,
                name: $name,
                severity: $crate::findings::Severity::$sev,
                summary: $summary,
                explain: concat!($($doc, "\n"),*),
                help: $help,
            };
        )*
        /// This family's rules, in code order.
        pub const RULES: &[$crate::findings::Rule] = &[$($konst),*];
    };
}
pub(crate) use rules;

/// Every rule, in code order within each family.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    handshake::RULES
        .iter()
        .chain(scan::RULES)
        .chain(reset::RULES)
        .chain(half_open::RULES)
        .chain(data::RULES)
        .chain(time_wait::RULES)
        .chain(capture::RULES)
}

/// Finds a rule by code or name, in any case.
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    all_rules().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// One anomaly, pointing at its capture, frame, time and endpoints.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    /// After the user's overrides.
    pub severity: Severity,
    pub capture: Arc<str>,
    /// The connection's id, for connection findings.
    pub connection: Option<u64>,
    pub frame: Option<u64>,
    #[serde(serialize_with = "ser_ts")]
    pub ts: Option<Timestamp>,
    /// The endpoints involved: originator and responder, or just the host.
    pub orig: Option<String>,
    pub resp: Option<String>,
    pub message: String,
    pub help: &'static str,
}

fn ser_ts<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_f64(t.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// Where a connection finding points, before it becomes a [`Finding`].
pub(crate) struct Hit {
    pub rule: &'static Rule,
    pub frame: Option<u64>,
    pub ts: Option<Timestamp>,
    pub message: String,
}

pub(crate) fn hit(
    rule: &'static Rule,
    frame: Option<u64>,
    ts: Option<Timestamp>,
    message: String,
) -> Hit {
    Hit {
        rule,
        frame,
        ts,
        message,
    }
}

/// Seconds for messages: `1.0 s`, `0.25 s`.
pub(crate) fn secs(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.0} s")
    } else if s >= 1.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.3} s")
    }
}

/// Checks connections as they end and captures once read, under one configuration. Checking a
/// connection needs no `&mut`: it runs on whichever thread the connection ended on.
pub struct Checker {
    cfg: RuleConfig,
    capture: Arc<str>,
}

impl Checker {
    pub fn new(cfg: RuleConfig) -> Self {
        Checker {
            cfg,
            capture: Arc::from(""),
        }
    }

    /// The capture being checked.
    pub fn capture(&self) -> &Arc<str> {
        &self.capture
    }

    pub fn config(&self) -> &RuleConfig {
        &self.cfg
    }

    /// Starts a new capture (findings are judged per capture).
    pub fn begin_capture(&mut self, path: &str) {
        self.capture = Arc::from(path);
    }

    fn finding(
        &self,
        hit: Hit,
        orig: Option<String>,
        resp: Option<String>,
        connection: Option<u64>,
    ) -> Option<Finding> {
        let severity = self.cfg.severity_of(hit.rule)?;
        Some(Finding {
            code: hit.rule.code,
            name: hit.rule.name,
            severity,
            capture: self.capture.clone(),
            connection,
            frame: hit.frame,
            ts: hit.ts,
            orig,
            resp,
            message: hit.message,
            help: hit.rule.help,
        })
    }

    /// The findings of a connection that has ended, and, when it opened with a SYN and did not
    /// get through, its attempt (for [`Attempts`]: HS005 and SC001 judge them all at the end).
    pub fn connection(&self, c: &Connection) -> (Vec<Finding>, Option<SynAttempt>) {
        let mut hits = Vec::new();
        let t = &self.cfg.thresholds;
        handshake::check(c, t, &mut hits);
        reset::check(c, &mut hits);
        half_open::check(c, t, &mut hits);
        data::check(c, t, &mut hits);
        time_wait::check(c, &mut hits);
        capture::check_connection(c, &mut hits);
        let attempt = SynAttempt::of(c);
        let findings = hits
            .into_iter()
            .filter_map(|h| {
                self.finding(
                    h,
                    Some(c.orig.to_string()),
                    Some(c.resp.to_string()),
                    Some(c.id),
                )
            })
            .collect();
        (findings, attempt)
    }

    /// The findings only the whole capture shows.
    pub fn capture_done(&self, r: &CaptureResult, attempts: Attempts) -> Vec<Finding> {
        let mut out = Vec::new();
        for (h, server, source) in scan::check_capture(attempts, &self.cfg.thresholds) {
            let source = source.map(|s| s.to_string());
            out.extend(self.finding(h, source, Some(server.to_string()), None));
        }
        for (h, host) in time_wait::check_capture(r, &self.cfg.thresholds) {
            out.extend(self.finding(h, Some(host.to_string()), None, None));
        }
        for h in capture::check_capture(r) {
            out.extend(self.finding(h, None, None, None));
        }
        // Capture-wide findings in a stable order.
        out.sort_by(|a, b| (a.code, a.ts, &a.orig, &a.resp).cmp(&(b.code, b.ts, &b.orig, &b.resp)));
        out
    }
}

#[cfg(test)]
mod tests;
