//! The CI verdict: a capture fails when, for some rule, its findings at or above `--fail-on`
//! outnumber the rule's allowed count (default 0). Each capture is judged on its own.

use super::{all_rules, Rule, RuleConfig, Severity};

/// One rule's findings in one capture.
#[derive(Clone, Debug)]
pub struct RuleTally {
    pub rule: &'static Rule,
    /// The rule's severity after the user's overrides.
    pub severity: Severity,
    pub findings: u64,
    /// Findings at or above `--fail-on`.
    pub failing: u64,
    pub allowed: u64,
}

impl RuleTally {
    pub fn failed(&self) -> bool {
        self.failing > self.allowed
    }
}

#[derive(Clone, Debug)]
pub struct Verdict {
    pub capture: String,
    pub fail_on: Severity,
    /// Every selected rule, in code order, with its count (zero included).
    pub tallies: Vec<RuleTally>,
    /// The capture could not be analysed (exit 2 whatever the findings).
    pub error: bool,
}

impl Verdict {
    /// Judges a capture from the codes of its findings.
    pub fn judge(
        capture: &str,
        codes: &[&'static str],
        cfg: &RuleConfig,
        fail_on: Severity,
        error: bool,
    ) -> Verdict {
        let tallies = all_rules()
            .filter_map(|rule| {
                let severity = cfg.severity_of(rule)?;
                let n = codes.iter().filter(|c| **c == rule.code).count() as u64;
                Some(RuleTally {
                    rule,
                    severity,
                    findings: n,
                    failing: if severity >= fail_on { n } else { 0 },
                    allowed: cfg.allowed(rule.code),
                })
            })
            .collect();
        Verdict {
            capture: capture.to_string(),
            fail_on,
            tallies,
            error,
        }
    }

    pub fn failed(&self) -> bool {
        self.tallies.iter().any(RuleTally::failed)
    }

    pub fn findings(&self) -> u64 {
        self.tallies.iter().map(|t| t.findings).sum()
    }

    /// Findings per severity: (errors, warnings, info).
    pub fn by_severity(&self) -> (u64, u64, u64) {
        let mut out = (0, 0, 0);
        for t in &self.tallies {
            match t.severity {
                Severity::Error => out.0 += t.findings,
                Severity::Warning => out.1 += t.findings,
                Severity::Info => out.2 += t.findings,
            }
        }
        out
    }
}
