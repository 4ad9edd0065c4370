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

/// How many findings of each rule a capture has: all a verdict needs of them.
#[derive(Clone, Debug, Default)]
pub struct Counts(Vec<(&'static str, u64)>);

impl Counts {
    pub fn add(&mut self, code: &'static str) {
        match self.0.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => self.0.push((code, 1)),
        }
    }

    pub fn get(&self, code: &str) -> u64 {
        self.0
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, n)| *n)
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl FromIterator<&'static str> for Counts {
    fn from_iter<I: IntoIterator<Item = &'static str>>(codes: I) -> Self {
        let mut c = Counts::default();
        codes.into_iter().for_each(|code| c.add(code));
        c
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
    /// Judges a capture from how many findings of each rule it has.
    pub fn judge(
        capture: &str,
        counts: &Counts,
        cfg: &RuleConfig,
        fail_on: Severity,
        error: bool,
    ) -> Verdict {
        let tallies = all_rules()
            .filter_map(|rule| {
                let severity = cfg.severity_of(rule)?;
                let n = counts.get(rule.code);
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
