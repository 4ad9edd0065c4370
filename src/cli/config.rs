//! The checked form of the arguments: durations, filters, rule configuration and formats as
//! types, no strings left to interpret later. Rule settings come from the defaults, then
//! `synack.toml` (the current directory's, or `--config`), then the command line.

use super::{LintArgs, ReportArgs, RuleArgs, RunArgs, ShowArgs};
use crate::findings::{RuleConfig, Severity};
use crate::pipeline::{
    ConnFilter, HostMatch, LintConfig, ReportConfig, ReportFormat, RunConfig, ShowConfig,
};
use crate::tcp::{State, TcpConfig};
use crate::zeek::ConnState;
use anyhow::{anyhow, bail};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `500ms`, `3s`, `2m`, `1h` (and humantime's other spellings).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration ({e}); write 500ms, 3s or 2m"))
}

/// Beyond this many trackers the reader, one thread, is the limit: more only cost memory.
const MAX_AUTO_JOBS: usize = 8;

impl From<&RunArgs> for RunConfig {
    fn from(a: &RunArgs) -> Self {
        let jobs = match a.jobs {
            None | Some(0) => {
                std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_AUTO_JOBS))
            }
            Some(n) => n,
        };
        // CI services set CI (GitHub, GitLab, CircleCI, Travis, Buildkite...): logs, not
        // terminals, even when a pseudo-terminal is attached.
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        RunConfig {
            merge: a.merge,
            jobs,
            max_connections: a.max_connections,
            progress: !a.quiet && !in_ci && std::io::stderr().is_terminal(),
        }
    }
}

const CONFIG_FILE: &str = "synack.toml";

/// Defaults, then the configuration file, then the command line.
fn rule_config(a: &RuleArgs) -> anyhow::Result<RuleConfig> {
    let mut cfg = RuleConfig::default();
    let file = match &a.config {
        Some(p) => {
            if !p.is_file() {
                bail!("--config {}: no such file", p.display());
            }
            Some(p.clone())
        }
        None => Some(PathBuf::from(CONFIG_FILE)).filter(|p| Path::new(p).is_file()),
    };
    if let Some(path) = file {
        cfg.load_file(&path).map_err(|e| anyhow!(e))?;
    }
    let t = &mut cfg.thresholds;
    if let Some(v) = a.time_wait {
        t.time_wait = v;
    }
    if let Some(v) = a.idle_timeout {
        t.idle_timeout = v;
    }
    if let Some(v) = a.syn_timeout {
        t.syn_timeout = v;
    }
    if let Some(v) = a.time_wait_max {
        t.time_wait_max = v;
    }
    if let Some(v) = a.syn_flood_min {
        t.syn_flood_min = v;
    }
    if let Some(v) = a.syn_flood_window {
        t.syn_flood_window = v;
    }
    if let Some(v) = a.syn_flood_sources {
        t.syn_flood_sources = v;
    }
    if let Some(v) = a.scan_min_ports {
        t.scan_min_ports = v;
    }
    if let Some(v) = a.close_wait_min {
        t.close_wait_min = v;
    }
    if t.time_wait.is_zero() {
        bail!("time_wait (2×MSL) must be longer than 0");
    }
    if t.idle_timeout.is_zero() {
        bail!("idle_timeout must be longer than 0");
    }
    if !a.select.is_empty() {
        cfg.select = a.select.clone();
    }
    if !a.ignore.is_empty() {
        cfg.ignore = a.ignore.clone();
    }
    RuleConfig::check_patterns(&cfg.select, "--select").map_err(|e| anyhow!(e))?;
    RuleConfig::check_patterns(&cfg.ignore, "--ignore").map_err(|e| anyhow!(e))?;
    for (code, sev) in &a.severity {
        cfg.severity.insert(code, *sev);
    }
    Ok(cfg)
}

impl TryFrom<ReportArgs> for ReportConfig {
    type Error = anyhow::Error;

    fn try_from(a: ReportArgs) -> anyhow::Result<Self> {
        let mut filter = ConnFilter {
            ports: a.port,
            ..ConnFilter::default()
        };
        for h in &a.host {
            filter.hosts.push(HostMatch::parse(h)?);
        }
        for s in &a.state {
            if let Some(cs) = ConnState::parse(s) {
                filter.conn_states.push(cs);
            } else if let Ok(st) = s.parse::<State>() {
                filter.states.push(st);
            } else {
                let rfc: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
                bail!(
                    "--state {s:?} is neither an RFC 9293 state ({}) nor a Zeek conn_state ({})",
                    rfc.join(" "),
                    ConnState::ALL.map(ConnState::name).join(" ")
                );
            }
        }
        let rules = rule_config(&a.rules)?;
        let output_given = a.output.is_some();
        Ok(ReportConfig {
            captures: a.captures,
            format: a.format,
            output: a.output,
            all: a.all,
            limit: a.limit,
            filter,
            run: RunConfig::from(&a.run),
            tcp: TcpConfig {
                time_wait: rules.thresholds.time_wait,
                idle_timeout: rules.thresholds.idle_timeout,
                // The HTML page charts each connection's states over time.
                transitions: a.transitions || a.format == ReportFormat::Html,
                zeek: true,
                ladder_segments: if a.format == ReportFormat::Html {
                    crate::report::html::LADDER_SEGMENTS
                } else {
                    0
                },
                ..TcpConfig::default()
            },
            rules,
            // A file given with --output is no terminal.
            color: if output_given {
                super::color_for(false)
            } else {
                super::color_wanted()
            },
            width: super::terminal_width(),
        })
    }
}

impl TryFrom<ShowArgs> for ShowConfig {
    type Error = anyhow::Error;

    fn try_from(a: ShowArgs) -> anyhow::Result<Self> {
        let rules = rule_config(&a.rules)?;
        Ok(ShowConfig {
            capture: a.capture,
            target: crate::pipeline::parse_target(&a.conn)?,
            format: a.format,
            tcp: TcpConfig {
                time_wait: rules.thresholds.time_wait,
                idle_timeout: rules.thresholds.idle_timeout,
                transitions: false,
                zeek: true,
                ..TcpConfig::default()
            },
            rules,
            color: super::color_wanted(),
        })
    }
}

impl TryFrom<LintArgs> for LintConfig {
    type Error = anyhow::Error;

    fn try_from(a: LintArgs) -> anyhow::Result<Self> {
        let mut rules = rule_config(&a.rules)?;
        for (code, n) in &a.allow {
            rules.allow.insert(code, *n);
        }
        let mut scope = ConnFilter {
            ports: a.port,
            ..ConnFilter::default()
        };
        for h in &a.host {
            scope.hosts.push(HostMatch::parse(h)?);
        }
        Ok(LintConfig {
            captures: a.captures,
            scope,
            max_annotations: a.max_annotations,
            format: a.format,
            fail_on: a.fail_on.map_or(Severity::Warning, Severity::from),
            exit_zero: a.exit_zero,
            run: RunConfig::from(&a.run),
            tcp: TcpConfig {
                time_wait: rules.thresholds.time_wait,
                idle_timeout: rules.thresholds.idle_timeout,
                transitions: false,
                // No rule looks at Zeek's model: lint does without it.
                zeek: false,
                ..TcpConfig::default()
            },
            rules,
            color: super::color_wanted(),
        })
    }
}
