//! The checked form of the arguments: durations, filters, rule configuration and formats as
//! types, no strings left to interpret later. Rule settings come from the defaults, then
//! `synack.toml` (the current directory's, or `--config`), then the command line.

use super::{LintArgs, LintFormat, ReportArgs, ReportFormat, RuleArgs, RunArgs};
use crate::decode::Endpoint;
use crate::findings::{RuleConfig, Severity};
use crate::flow::TimeWaitScope;
use crate::report::summary::CONN_STATES;
use crate::report::ConnReport;
use crate::tcp::{Connection, Dir, State, TcpConfig};
use anyhow::{anyhow, bail, Context};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `500ms`, `3s`, `2m`, `1h` (and humantime's other spellings).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration ({e}); write 500ms, 3s or 2m"))
}

/// Which connections the report shows: every kind given must match (a kind given several
/// times matches any of its values).
#[derive(Clone, Debug, Default)]
pub struct ConnFilter {
    pub hosts: Vec<HostMatch>,
    pub ports: Vec<u16>,
    pub states: Vec<State>,
    pub conn_states: Vec<&'static str>,
}

/// `--host`: an address, or a CIDR prefix (`10.0.0.0/8`, `fd00::/16`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostMatch {
    addr: IpAddr,
    prefix: u8,
}

impl HostMatch {
    pub fn parse(s: &str) -> anyhow::Result<HostMatch> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .with_context(|| format!("--host {s:?} is not an IPv4 or IPv6 address or prefix"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .with_context(|| format!("--host {s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(HostMatch { addr, prefix })
    }

    /// `ip` lies in the prefix (an IPv4 address never in an IPv6 prefix, nor the reverse).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
                IpAddr::V6(v) => u128::from(v),
            }
        };
        if self.addr.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        let mask = if self.prefix == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.prefix))
        };
        bits(self.addr) & mask == bits(ip) & mask
    }
}

impl ConnFilter {
    /// Whether a connection with these endpoints and final states is in scope.
    fn matches_parts(&self, ends: [Endpoint; 2], states: [State; 2], conn_state: &str) -> bool {
        let host_ok = self.hosts.is_empty()
            || self
                .hosts
                .iter()
                .any(|h| ends.iter().any(|e| h.contains(e.addr)));
        let port_ok =
            self.ports.is_empty() || self.ports.iter().any(|p| ends.iter().any(|e| e.port == *p));
        let state_ok = (self.states.is_empty() && self.conn_states.is_empty())
            || self.states.iter().any(|s| states.contains(s))
            || self.conn_states.contains(&conn_state);
        host_ok && port_ok && state_ok
    }

    /// The report's filter, on a connection's record.
    pub fn matches(&self, c: &ConnReport) -> bool {
        self.matches_parts(
            [c.orig_ep, c.resp_ep],
            [c.orig_state, c.resp_state],
            c.conn_state,
        )
    }

    /// Lint's scope, on the connection itself.
    pub fn matches_conn(&self, c: &Connection) -> bool {
        if self.hosts.is_empty() && self.ports.is_empty() && self.states.is_empty() {
            return true;
        }
        let states = [c.side(Dir::Orig).state, c.side(Dir::Resp).state];
        self.matches_parts([c.orig, c.resp], states, "")
    }

    /// The report's filter on a live connection as its record will read: who counts in the
    /// TIME-WAIT figures (asked when a side enters TIME-WAIT). None when nothing is filtered.
    ///
    /// A side enters TIME-WAIT on the peer's FIN, which it then acknowledges: the peer, in
    /// LAST-ACK or CLOSING at that instant, settles in CLOSED or TIME-WAIT one ACK later, and
    /// that is the state its record shows (`--state CLOSED` keeps a normal close's TIME-WAIT).
    pub fn time_wait_scope(&self) -> Option<TimeWaitScope> {
        if self.hosts.is_empty()
            && self.ports.is_empty()
            && self.states.is_empty()
            && self.conn_states.is_empty()
        {
            return None;
        }
        let f = self.clone();
        Some(TimeWaitScope(std::sync::Arc::new(move |c: &Connection| {
            let settled = |me: Dir| match c.side(me).state {
                State::LastAck if c.side(me.other()).state == State::TimeWait => State::Closed,
                State::Closing if c.side(me.other()).state == State::TimeWait => State::TimeWait,
                s => s,
            };
            let states = [settled(Dir::Orig), settled(Dir::Resp)];
            let conn_state = if f.conn_states.is_empty() {
                ""
            } else {
                c.zeek.fields().conn_state
            };
            f.matches_parts([c.orig, c.resp], states, conn_state)
        })))
    }

    /// Whether a host is in scope (TIME-WAIT holders).
    pub fn matches_host(&self, ip: IpAddr) -> bool {
        self.hosts.is_empty() || self.hosts.iter().any(|h| h.contains(ip))
    }
}

/// Beyond this many trackers the reader, one thread, is the limit: more only cost memory.
const MAX_AUTO_JOBS: usize = 8;

/// How the captures are read.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub merge: bool,
    /// Tracker threads, at least 1.
    pub jobs: usize,
    pub max_connections: usize,
    /// Show a progress bar: asked for (no `--quiet`), stderr a terminal, not in CI.
    pub progress: bool,
}

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

#[derive(Clone, Debug)]
pub struct ReportConfig {
    pub captures: Vec<PathBuf>,
    pub format: ReportFormat,
    pub all: bool,
    pub limit: usize,
    pub filter: ConnFilter,
    pub run: RunConfig,
    pub tcp: TcpConfig,
    pub rules: RuleConfig,
}

#[derive(Clone, Debug)]
pub struct LintConfig {
    pub captures: Vec<PathBuf>,
    /// `--host`, `--port`: the connections judged.
    pub scope: ConnFilter,
    /// `--max-annotations`, for `--format github`.
    pub max_annotations: usize,
    pub format: LintFormat,
    pub fail_on: Severity,
    pub exit_zero: bool,
    pub run: RunConfig,
    pub tcp: TcpConfig,
    pub rules: RuleConfig,
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
            if let Some(cs) = CONN_STATES.iter().find(|c| c.eq_ignore_ascii_case(s)) {
                filter.conn_states.push(cs);
            } else if let Ok(st) = s.parse::<State>() {
                filter.states.push(st);
            } else {
                let rfc: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
                bail!(
                    "--state {s:?} is neither an RFC 9293 state ({}) nor a Zeek conn_state ({})",
                    rfc.join(" "),
                    CONN_STATES.join(" ")
                );
            }
        }
        let rules = rule_config(&a.rules)?;
        Ok(ReportConfig {
            captures: a.captures,
            format: a.format,
            all: a.all,
            limit: a.limit,
            filter,
            run: RunConfig::from(&a.run),
            tcp: TcpConfig {
                time_wait: rules.thresholds.time_wait,
                idle_timeout: rules.thresholds.idle_timeout,
                transitions: a.transitions,
            },
            rules,
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
            },
            rules,
        })
    }
}
