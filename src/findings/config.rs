//! Rule configuration: thresholds, severities, allowed counts and rule selection, from defaults,
//! then `synack.toml`, then the command line. A bad file is an error naming its line.

use super::{all_rules, Rule, Severity};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// The thresholds of CONTRACT.md, Linux-like defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// TW001: more than this many connections in TIME-WAIT at once on one host.
    pub time_wait_max: u64,
    /// HS005: at least this many half-open connections to one server...
    pub syn_flood_min: u64,
    /// ...within this window (to one address and port, or to one address from at least
    /// `syn_flood_sources` sources); also SC001's window.
    pub syn_flood_window: Duration,
    /// HS005: a flood on a whole host needs this many source addresses.
    pub syn_flood_sources: u64,
    /// SC001: one source's failed attempts on at least this many ports of one host.
    pub scan_min_ports: u64,
    /// HO002: CLOSE-WAIT for at least this long.
    pub close_wait_min: Duration,
    /// DT001: the same data re-sent at least this many times.
    pub rto_min_retries: u32,
    /// DT002: a zero window held at least this long.
    pub zero_window_min: Duration,
    /// HS003: a SYN unanswered this long after its last retransmission is unanswered.
    pub syn_timeout: Duration,
    /// 2×MSL: how long TIME-WAIT lasts.
    pub time_wait: Duration,
    /// An unfinished connection idle this long leaves the table (Zeek's inactivity timeout).
    pub idle_timeout: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            time_wait_max: 1000,
            syn_flood_min: 100,
            syn_flood_window: Duration::from_secs(10),
            syn_flood_sources: 10,
            scan_min_ports: 20,
            close_wait_min: Duration::from_secs(5),
            rto_min_retries: 4,
            zero_window_min: Duration::from_secs(5),
            syn_timeout: Duration::from_secs(3),
            time_wait: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// Which rules run, at what severity, and how many findings of each are allowed.
#[derive(Clone, Debug, Default)]
pub struct RuleConfig {
    pub thresholds: Thresholds,
    pub severity: HashMap<&'static str, Severity>,
    pub allow: HashMap<&'static str, u64>,
    /// Codes or prefixes; empty selects every rule.
    pub select: Vec<String>,
    /// Codes or prefixes; wins over `select`.
    pub ignore: Vec<String>,
}

fn matches(code: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        code.to_ascii_uppercase()
            .starts_with(&p.to_ascii_uppercase())
    })
}

impl RuleConfig {
    /// The severity `rule` reports at, or `None` when it is not selected.
    pub fn severity_of(&self, rule: &Rule) -> Option<Severity> {
        let selected = self.select.is_empty() || matches(rule.code, &self.select);
        if !selected || matches(rule.code, &self.ignore) {
            return None;
        }
        Some(
            self.severity
                .get(rule.code)
                .copied()
                .unwrap_or(rule.severity),
        )
    }

    pub fn allowed(&self, code: &str) -> u64 {
        self.allow.get(code).copied().unwrap_or(0)
    }

    /// Checks `--select`/`--ignore` patterns: each must name a code or a prefix of one.
    pub fn check_patterns(patterns: &[String], flag: &str) -> Result<(), String> {
        for p in patterns {
            if !all_rules().any(|r| {
                r.code
                    .to_ascii_uppercase()
                    .starts_with(&p.to_ascii_uppercase())
            }) {
                return Err(format!(
                    "{flag} {p:?} matches no rule; codes: {}",
                    known_codes()
                ));
            }
        }
        Ok(())
    }

    /// Reads `synack.toml` into this configuration (on top of what it holds).
    pub fn load_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the configuration: {e}", path.display()))?;
        let file: FileConfig = toml::from_str(&text).map_err(|e| {
            // toml's message starts "TOML parse error at line N, column M"; keep it on one line.
            let msg = e
                .to_string()
                .replace('\n', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            format!("{}: {msg}", path.display())
        })?;
        let t = &mut self.thresholds;
        if let Some(v) = file.time_wait_max {
            t.time_wait_max = v;
        }
        if let Some(v) = file.syn_flood_min {
            t.syn_flood_min = v;
        }
        if let Some(DurationValue(v)) = file.syn_flood_window {
            t.syn_flood_window = v;
        }
        if let Some(v) = file.syn_flood_sources {
            t.syn_flood_sources = v;
        }
        if let Some(v) = file.scan_min_ports {
            t.scan_min_ports = v;
        }
        if let Some(DurationValue(v)) = file.close_wait_min {
            t.close_wait_min = v;
        }
        if let Some(v) = file.rto_min_retries {
            t.rto_min_retries = v;
        }
        if let Some(DurationValue(v)) = file.zero_window_min {
            t.zero_window_min = v;
        }
        if let Some(DurationValue(v)) = file.syn_timeout {
            t.syn_timeout = v;
        }
        if let Some(DurationValue(v)) = file.time_wait {
            t.time_wait = v;
        }
        if let Some(DurationValue(v)) = file.idle_timeout {
            t.idle_timeout = v;
        }
        if let Some(s) = file.select {
            self.select = s;
        }
        if let Some(s) = file.ignore {
            self.ignore = s;
        }
        for (RuleCode(code), rc) in file.rules.unwrap_or_default() {
            if let Some(SeverityValue(s)) = rc.severity {
                self.severity.insert(code, s);
            }
            if let Some(n) = rc.allow {
                self.allow.insert(code, n);
            }
        }
        Ok(())
    }
}

pub fn known_codes() -> String {
    all_rules().map(|r| r.code).collect::<Vec<_>>().join(" ")
}

/// `HS001=error` on the command line.
pub fn parse_severity_override(s: &str) -> Result<(&'static str, Severity), String> {
    let (code, sev) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write CODE=SEVERITY, e.g. HS001=error"))?;
    let rule = super::rule(code.trim())
        .ok_or_else(|| format!("unknown rule {code:?}; codes: {}", known_codes()))?;
    Ok((rule.code, sev.parse()?))
}

/// `HS001=5` on the command line.
pub fn parse_allow(s: &str) -> Result<(&'static str, u64), String> {
    let (code, n) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write CODE=COUNT, e.g. HS001=5"))?;
    let rule = super::rule(code.trim())
        .ok_or_else(|| format!("unknown rule {code:?}; codes: {}", known_codes()))?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: the allowed count must be a whole number"))?;
    Ok((rule.code, n))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    time_wait_max: Option<u64>,
    syn_flood_min: Option<u64>,
    syn_flood_window: Option<DurationValue>,
    syn_flood_sources: Option<u64>,
    scan_min_ports: Option<u64>,
    close_wait_min: Option<DurationValue>,
    rto_min_retries: Option<u32>,
    zero_window_min: Option<DurationValue>,
    syn_timeout: Option<DurationValue>,
    time_wait: Option<DurationValue>,
    idle_timeout: Option<DurationValue>,
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    rules: Option<BTreeMap<RuleCode, RuleFileConfig>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFileConfig {
    severity: Option<SeverityValue>,
    allow: Option<u64>,
}

/// A duration: `"500ms"`, `"3s"`, `"2m"`, or a number of seconds.
struct DurationValue(Duration);

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DurationValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration such as \"500ms\", \"3s\" or \"2m\", or a number of seconds",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                humantime::parse_duration(v.trim())
                    .map(DurationValue)
                    .map_err(|e| {
                        E::custom(format!(
                            "{v:?} is not a duration ({e}); write \"500ms\", \"3s\" or \"2m\""
                        ))
                    })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(|s| DurationValue(Duration::from_secs(s)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Duration::try_from_secs_f64(v)
                    .map(DurationValue)
                    .map_err(|_| E::custom("a duration must be a positive number of seconds"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A rule code that exists.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct RuleCode(&'static str);

impl<'de> Deserialize<'de> for RuleCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        super::rule(&s).map(|r| RuleCode(r.code)).ok_or_else(|| {
            de::Error::custom(format!("unknown rule {s:?}; codes: {}", known_codes()))
        })
    }
}

struct SeverityValue(Severity);

impl<'de> Deserialize<'de> for SeverityValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(SeverityValue).map_err(de::Error::custom)
    }
}
