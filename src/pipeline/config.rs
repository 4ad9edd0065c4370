//! What a run is asked to do, checked: the captures, how to read them, which connections and
//! findings, in which format. `src/cli` builds these from the arguments (and synack.toml); a
//! config builds its emitter.

use crate::decode::Endpoint;
use crate::findings::{RuleConfig, Severity};
use crate::flow::TimeWaitScope;
use crate::report::{
    ConnReport, CsvEmitter, Emitter, GithubEmitter, HumanEmitter, JsonEmitter, JsonlEmitter,
    JunitEmitter, LintJsonEmitter, SarifEmitter, TableEmitter, TableOptions, ZeekEmitter,
};
use crate::tcp::{Connection, Dir, State, TcpConfig};
use crate::zeek::ConnState;
use anyhow::Context;
use clap::ValueEnum;
use std::io::{self, BufWriter};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Tables for people
    Table,
    /// One JSON document (CONTRACT.md schema 1)
    Json,
    /// One JSON object per line: captures, connections as they end, findings, the summary
    Jsonl,
    /// One row per connection
    Csv,
    /// A Zeek conn.log (TSV with Zeek's header lines)
    Zeek,
    /// One self-contained HTML page: tables, charts over time, a connection table that sorts
    /// and filters
    Html,
    /// Parquet tables in the --output directory (connections, findings, captures, time_wait,
    /// errors), for DuckDB, Spark, Trino or pandas
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Grouped by rule, a locator per finding, help and a verdict
    Human,
    /// Findings and verdicts as JSON
    Json,
    /// GitHub Actions workflow commands (annotations)
    Github,
    /// SARIF 2.1.0 (code scanning)
    Sarif,
    /// JUnit XML (CI test reports)
    Junit,
}

/// Which connections the report shows: every kind given must match (a kind given several
/// times matches any of its values).
#[derive(Clone, Debug, Default)]
pub struct ConnFilter {
    pub hosts: Vec<HostMatch>,
    pub ports: Vec<u16>,
    pub states: Vec<State>,
    pub conn_states: Vec<ConnState>,
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
    fn matches_parts(
        &self,
        ends: [Endpoint; 2],
        states: [State; 2],
        conn_state: Option<ConnState>,
    ) -> bool {
        let host_ok = self.hosts.is_empty()
            || self
                .hosts
                .iter()
                .any(|h| ends.iter().any(|e| h.contains(e.addr)));
        let port_ok =
            self.ports.is_empty() || self.ports.iter().any(|p| ends.iter().any(|e| e.port == *p));
        let state_ok = (self.states.is_empty() && self.conn_states.is_empty())
            || self.states.iter().any(|s| states.contains(s))
            || conn_state.is_some_and(|cs| self.conn_states.contains(&cs));
        host_ok && port_ok && state_ok
    }

    /// The report's filter, on a connection's record.
    pub fn matches(&self, c: &ConnReport) -> bool {
        self.matches_parts(
            [c.orig_ep, c.resp_ep],
            [c.orig_state, c.resp_state],
            Some(c.conn_state),
        )
    }

    /// Lint's scope, on the connection itself.
    pub fn matches_conn(&self, c: &Connection) -> bool {
        if self.hosts.is_empty() && self.ports.is_empty() && self.states.is_empty() {
            return true;
        }
        let states = [c.side(Dir::Orig).state, c.side(Dir::Resp).state];
        self.matches_parts([c.orig, c.resp], states, None)
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
        Some(TimeWaitScope(std::sync::Arc::new(
            move |c: &crate::flow::Flow| {
                let settled = |me: Dir| match c.side(me).state {
                    State::LastAck if c.side(me.other()).state == State::TimeWait => State::Closed,
                    State::Closing if c.side(me.other()).state == State::TimeWait => {
                        State::TimeWait
                    }
                    s => s,
                };
                let states = [settled(Dir::Orig), settled(Dir::Resp)];
                let conn_state = (!f.conn_states.is_empty()).then(|| c.zeek_fields().conn_state);
                f.matches_parts([c.orig, c.resp], states, conn_state)
            },
        )))
    }

    /// Whether a host is in scope (TIME-WAIT holders).
    pub fn matches_host(&self, ip: IpAddr) -> bool {
        self.hosts.is_empty() || self.hosts.iter().any(|h| h.contains(ip))
    }
}

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

#[derive(Clone, Debug)]
pub struct ReportConfig {
    pub captures: Vec<PathBuf>,
    pub format: ReportFormat,
    /// `--output`: the file to write instead of standard output; for Parquet, the directory.
    pub output: Option<PathBuf>,
    pub all: bool,
    pub limit: usize,
    pub filter: ConnFilter,
    pub run: RunConfig,
    pub tcp: TcpConfig,
    pub rules: RuleConfig,
    /// Colour in the table (a terminal, no NO_COLOR).
    pub color: bool,
    /// The terminal's width (`COLUMNS`, else the terminal's), when known: the table's
    /// connections take a compact layout below [`crate::report::FULL_WIDTH`].
    pub width: Option<usize>,
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
    /// Colour in the human format (a terminal, no NO_COLOR).
    pub color: bool,
}

impl ReportConfig {
    /// The format's emitter, writing to standard output or to `--output`.
    pub fn emitter(&self) -> anyhow::Result<Box<dyn Emitter>> {
        let out = || -> anyhow::Result<Box<dyn io::Write>> {
            Ok(match &self.output {
                Some(path) => Box::new(BufWriter::with_capacity(
                    1 << 16,
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot create --output {}", path.display()))?,
                )),
                None => Box::new(stdout()),
            })
        };
        Ok(match self.format {
            ReportFormat::Parquet => {
                let dir = self.output.as_deref().ok_or_else(|| {
                    anyhow::anyhow!(
                        "--format parquet writes several files: give the directory with --output DIR"
                    )
                })?;
                Box::new(
                    crate::report::ParquetEmitter::create(dir, self.tcp.transitions)
                        .context("--output")?,
                )
            }
            ReportFormat::Table => Box::new(TableEmitter::new(
                out()?,
                TableOptions {
                    all: self.all,
                    limit: self.limit,
                    color: self.color,
                    width: self.width,
                },
            )),
            ReportFormat::Json => Box::new(JsonEmitter::new(out()?)),
            ReportFormat::Jsonl => Box::new(JsonlEmitter::new(out()?)),
            ReportFormat::Csv => Box::new(CsvEmitter::new(out()?)),
            ReportFormat::Zeek => Box::new(ZeekEmitter::new(out()?)),
            ReportFormat::Html => Box::new(crate::report::html::HtmlEmitter::new(
                out()?,
                if self.all { usize::MAX } else { self.limit },
                self.tcp,
            )),
        })
    }
}

impl LintConfig {
    /// The format's emitter, writing to standard output (and, for `github`, to
    /// `$GITHUB_STEP_SUMMARY` when it is set).
    pub fn emitter(&self) -> Box<dyn Emitter> {
        match self.format {
            LintFormat::Human => Box::new(HumanEmitter::new(stdout(), self.color)),
            LintFormat::Json => Box::new(LintJsonEmitter::new(stdout())),
            LintFormat::Github => Box::new(GithubEmitter::new(
                stdout(),
                self.max_annotations,
                std::env::var_os("GITHUB_STEP_SUMMARY")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from),
            )),
            LintFormat::Sarif => Box::new(SarifEmitter::new(stdout())),
            LintFormat::Junit => Box::new(JunitEmitter::new(stdout())),
        }
    }
}

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}
