//! The command line: clap's raw arguments, checked into configurations, then the commands that
//! run them. Exit statuses follow CONTRACT.md: 0 clean, 1 findings (lint), 2 error.

mod config;

pub use config::{parse_duration, ConnFilter, LintConfig, ReportConfig, RunConfig};

use crate::analyze::{analyze_merged, CaptureResult, Options, DEFAULT_MAX_CONNECTIONS};
use crate::capture::CaptureReader;
use crate::findings::{
    self, all_rules, Attempts, Checker, Counts, Finding, Severity, SynAttempt, Verdict,
};
use crate::report::summary::Tally;
use crate::report::{
    ConnReport, CsvEmitter, Emitter, GithubEmitter, HumanEmitter, InputError, JsonEmitter,
    JsonlEmitter, JunitEmitter, LintJsonEmitter, Render, SarifEmitter, Summary, TableEmitter,
    TableOptions, ZeekEmitter,
};
use crate::tcp::{Connection, TcpConfig};
use crate::time::Timestamp;
use clap::{Args, Parser, Subcommand, ValueEnum};
use comfy_table::{presets, ContentArrangement, Table};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "synack",
    version,
    about = "Follows every TCP connection of a pcap/pcapng capture through RFC 9293 and reports what went wrong"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The connection state report of one or more captures
    Report(ReportArgs),
    /// Findings with a CI verdict: exit 1 when a finding at or above --fail-on exceeds its allowed count
    Lint(LintArgs),
    /// What a rule means, why it matters, what to do
    Explain {
        /// A rule code (HS001) or name (syn-retransmitted)
        code: String,
    },
    /// Every rule with its code, name and default severity
    Rules {
        #[arg(short, long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
    },
}

/// Options shared by `report` and `lint`: the rules' configuration and the thresholds.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule configuration file (default: ./synack.toml when it exists)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Only these rules: codes or prefixes, comma-separated (HS,RS001)
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Not these rules: codes or prefixes, comma-separated (CQ)
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// A rule's severity: CODE=info|warning|error (repeatable)
    #[arg(long, value_name = "CODE=LEVEL", value_parser = findings::parse_severity_override)]
    pub severity: Vec<(&'static str, Severity)>,

    /// 2×MSL: how long a side stays in TIME-WAIT, by capture time [default: 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time_wait: Option<Duration>,

    /// An unfinished connection without a segment for this long leaves the table as it is; a
    /// later segment starts a new connection (Zeek's inactivity timeout) [default: 5m]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// A SYN unanswered this long after its last retransmission is unanswered (HS003) [default: 3s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub syn_timeout: Option<Duration>,

    /// TW001 fires above this many TIME-WAIT connections on one host [default: 1000]
    #[arg(long, value_name = "N")]
    pub time_wait_max: Option<u64>,

    /// HS005 fires at this many half-open or unanswered attempts to one server port, or to one
    /// server from --syn-flood-sources sources... [default: 100]
    #[arg(long, value_name = "N")]
    pub syn_flood_min: Option<u64>,

    /// ...within this window (SC001's window too) [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub syn_flood_window: Option<Duration>,

    /// HS005 on a whole server needs this many source addresses [default: 10]
    #[arg(long, value_name = "N")]
    pub syn_flood_sources: Option<u64>,

    /// SC001 fires when one source's failed attempts reach this many ports of one host [default: 20]
    #[arg(long, value_name = "N")]
    pub scan_min_ports: Option<u64>,

    /// HO002 fires after this long in CLOSE-WAIT [default: 5s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub close_wait_min: Option<Duration>,
}

/// How captures are read: shared by `report` and `lint`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Read the captures as one timeline, merged by timestamp (tcpdump's rotated -C/-G files)
    #[arg(long)]
    pub merge: bool,

    /// Threads tracking connections [default: one per core, at most 8]; the output is the same
    /// for every N
    #[arg(short, long, value_name = "N", env = "SYNACK_JOBS")]
    pub jobs: Option<usize>,

    /// Live connections held at most; beyond, the longest idle are retired early (CQ006)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,

    /// No progress bar (it only shows when stderr is a terminal, outside CI)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// pcap or pcapng files, gzip-compressed or not; `-` reads standard input
    #[arg(value_name = "CAPTURE", required = true)]
    pub captures: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Show every connection in the table (default: the first --limit, troubled first)
    #[arg(long)]
    pub all: bool,

    /// Connections shown in the table
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,

    /// Only connections with this address, or an address in this prefix (10.0.0.0/8), on
    /// either side (repeatable)
    #[arg(long, value_name = "ADDR[/LEN]")]
    pub host: Vec<String>,

    /// Only connections with this port on either side (repeatable)
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,

    /// Only connections with a side in this RFC 9293 state (e.g. TIME-WAIT) or with this Zeek
    /// conn_state (e.g. S0) (repeatable)
    #[arg(long, value_name = "STATE")]
    pub state: Vec<String>,

    /// List every state change of every connection (frame, time, side, from, to)
    #[arg(long)]
    pub transitions: bool,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// pcap or pcapng files, gzip-compressed or not; `-` reads standard input
    #[arg(value_name = "CAPTURE", required = true)]
    pub captures: Vec<PathBuf>,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,

    /// Fail on findings at or above this severity
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Findings of a rule allowed before it fails the run: CODE=N (repeatable)
    #[arg(long, value_name = "CODE=N", value_parser = findings::parse_allow)]
    pub allow: Vec<(&'static str, u64)>,

    /// Exit 0 even when findings fail the run (errors still exit 2)
    #[arg(long)]
    pub exit_zero: bool,

    /// Judge only connections with this address, or an address in this prefix (10.0.0.0/8), on
    /// either side (repeatable): a capture taken with -i any holds the runner's own traffic too
    #[arg(long, value_name = "ADDR[/LEN]")]
    pub host: Vec<String>,

    /// Judge only connections with this port on either side (repeatable)
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,

    /// --format github: annotations per rule at most; one notice counts the rest
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_annotations: usize,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub rules: RuleArgs,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Error => Severity::Error,
        }
    }
}

/// How a command ended, as the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything was read and nothing failed the run.
    Success,
    /// `lint`: findings at or above `--fail-on`.
    Failure,
    /// A capture could not be read, or was damaged beyond a cut tail; or a usage error.
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Report(args) => report(ReportConfig::try_from(args)?),
        Command::Lint(args) => lint(LintConfig::try_from(args)?),
        Command::Explain { code } => explain(&code),
        Command::Rules { format } => rules(format),
    }
}

/// Writes one line to stderr; a closed stderr is not worth a panic.
fn say(level: &str, path: &str, msg: &dyn std::fmt::Display) {
    let _ = writeln!(io::stderr(), "synack: {level}: {path}: {msg}");
}

/// NO_COLOR (no-color.org): set and not empty turns colour off.
fn color_wanted() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// What a command keeps of a connection, made on the thread where the connection ended. What
/// crosses to the emitter's thread is small: a rendered record travels as bytes in its batch's
/// buffer, and the record itself is dropped where it was made.
#[derive(Default)]
struct Prepared {
    /// `report`: what the summary counts; none when the filter leaves the connection out.
    tally: Option<Tally>,
    /// `report`, for a format without a renderer: the record, with its findings. Boxed: it
    /// goes through a few hands on its way to the emitter.
    rec: Option<Box<ConnReport>>,
    /// `report`, for a format with a renderer: where its bytes are in the batch's buffer, and
    /// where those for now end.
    rendered: Option<(usize, usize, usize)>,
    /// `lint`: the findings.
    findings: Vec<Finding>,
    /// The connection's failed attempt, if it was one (HS005 and SC001 judge them).
    attempt: Option<SynAttempt>,
    /// It was picked up mid-stream (for the hint that files form one rotated series).
    midstream: bool,
}

/// How a command turns connections into [`Prepared`]: `report` builds records, filtered, and
/// serializes them when its format can; `lint` only checks.
#[derive(Clone, Default)]
struct Keep {
    records: Option<ConnFilter>,
    /// `lint`: only connections in this scope are judged.
    scope: Option<ConnFilter>,
    render: Option<Arc<dyn Render>>,
}

impl Keep {
    fn prepare(&self, checker: &Checker, conn: &Connection, bytes: &mut Vec<u8>) -> Prepared {
        Prepared {
            midstream: conn.is_midstream(),
            ..self.prepare_inner(checker, conn, bytes)
        }
    }

    fn prepare_inner(&self, checker: &Checker, conn: &Connection, bytes: &mut Vec<u8>) -> Prepared {
        let Some(filter) = &self.records else {
            if self.scope.as_ref().is_some_and(|s| !s.matches_conn(conn)) {
                return Prepared::default();
            }
            let (findings, attempt) = checker.connection(conn);
            return Prepared {
                findings,
                attempt,
                ..Prepared::default()
            };
        };
        let mut rec = Box::new(ConnReport::new(conn, checker.capture()));
        if !filter.matches(&rec) {
            return Prepared::default();
        }
        let (findings, attempt) = checker.connection(conn);
        rec.findings = findings;
        let tally = Some(Tally::of(&rec));
        if let Some(render) = &self.render {
            let start = bytes.len();
            match render.render(&rec, bytes) {
                Ok(now) => {
                    return Prepared {
                        tally,
                        rendered: Some((start, start + now, bytes.len())),
                        attempt,
                        ..Prepared::default()
                    }
                }
                // The emitter serializes it again, and reports the error.
                Err(_) => bytes.truncate(start),
            }
        }
        Prepared {
            tally,
            rec: Some(rec),
            attempt,
            ..Prepared::default()
        }
    }
}

/// What a command does with the connections and captures it reads.
trait Handler {
    /// What to make of each connection where it ends.
    fn keep(&self) -> Keep;
    /// A connection has ended (in the order they end); `bytes`: the buffer its rendered bytes
    /// are in.
    fn connection(&mut self, p: Prepared, bytes: &[u8]) -> io::Result<()>;
    /// A capture could not be read, or only in part (its `capture` follows).
    fn error(&mut self, e: &InputError) -> io::Result<()>;
    /// A capture has been read, with its capture-wide findings; `error`: it was damaged beyond a
    /// cut tail.
    fn capture(
        &mut self,
        result: &CaptureResult,
        findings: Vec<Finding>,
        error: bool,
    ) -> io::Result<()>;
}

/// Reads every capture in turn (with `--merge`, all of them as one timeline), handing each
/// connection that ends and each capture once read to `h`. Unreadable captures are reported on
/// stderr and make the run an error; the others are still read.
fn read_captures(
    paths: &[PathBuf],
    run: &RunConfig,
    tcp: TcpConfig,
    checker: &mut Checker,
    h: &mut dyn Handler,
) -> anyhow::Result<ExitStatus> {
    let mut status = ExitStatus::Success;
    let units: Vec<&[PathBuf]> = if run.merge {
        vec![paths]
    } else {
        paths.chunks(1).collect()
    };
    // Per capture read on its own: its first and last time, and its mid-stream pickups.
    let mut series: Vec<(Option<Timestamp>, Option<Timestamp>, u64)> = Vec::new();
    for unit in units {
        let mut readers = Vec::with_capacity(unit.len());
        for path in unit {
            let name = path.display().to_string();
            match CaptureReader::open(path) {
                Ok(r) => readers.push((name, r)),
                Err(e) => {
                    failed(h, &name, e.offset, e.kind.to_string())?;
                    status = ExitStatus::Error;
                }
            }
        }
        if readers.is_empty() {
            continue;
        }
        let name: Arc<str> = readers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join("+")
            .into();
        checker.begin_capture(&name);
        let mut keep = h.keep();
        // The report's filter and lint's scope decide whose TIME-WAIT counts as well.
        let time_wait_scope = keep
            .records
            .as_ref()
            .or(keep.scope.as_ref())
            .and_then(ConnFilter::time_wait_scope);
        let opts = Options {
            tcp,
            jobs: run.jobs,
            max_connections: run.max_connections,
            progress: run.progress,
            time_wait_scope,
        };
        if run.jobs == 1 {
            // One thread: the emitter serializes straight to its output, without a copy.
            keep.render = None;
        }
        let rules: &Checker = checker;
        let prepare = |c: Box<Connection>, bytes: &mut Vec<u8>| keep.prepare(rules, &c, bytes);
        let mut attempts = Attempts::default();
        let mut midstream = 0u64;
        let mut write_error: Option<io::Error> = None;
        let result = analyze_merged(readers, opts, &prepare, |p: Prepared, bytes: &[u8]| {
            if let Some(a) = p.attempt {
                attempts.add(a);
            }
            midstream += u64::from(p.midstream);
            match h.connection(p, bytes) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    write_error = Some(e);
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(e) = write_error {
            return Err(e.into());
        }
        series.push((result.capture.first_ts, result.capture.last_ts, midstream));
        if result.capture.nothing_decodable() {
            failed(h, &name, None, unsupported(&result))?;
            status = ExitStatus::Error;
            continue;
        }
        let mut damaged = false;
        for file in result.files() {
            let Some(d) = &file.damage else { continue };
            let read = format!(
                "{}; analysed the {} whole records before it",
                d.kind, file.stats.packets
            );
            if d.is_cut() {
                say(
                    "warning",
                    &file.path,
                    &format!(
                        "{d}; analysed the {} whole records before it",
                        file.stats.packets
                    ),
                );
            } else {
                failed(h, &file.path, d.offset, read)?;
                status = ExitStatus::Error;
                damaged = true;
            }
        }
        let capture_findings = checker.capture_done(&result, attempts);
        h.capture(&result, capture_findings, damaged)?;
    }
    if !run.merge && looks_rotated(&series) {
        let _ = writeln!(
            io::stderr(),
            "synack: note: these {} captures look like one rotated series (each starts mid-stream where the previous one ended); --merge reads them as one timeline",
            series.len()
        );
    }
    Ok(status)
}

/// A capture that could not be read (or only in part): one line on stderr, and the emitter's
/// `errors`.
fn failed(h: &mut dyn Handler, path: &str, offset: Option<u64>, message: String) -> io::Result<()> {
    let e = InputError {
        path: path.to_string(),
        offset,
        message,
    };
    say("error", path, &e.located());
    h.error(&e)
}

/// Captures read one after another look like one capture cut into files (tcpdump -C/-G, a
/// ring buffer) when each starts within 2 s after the previous one ended, with connections
/// picked up mid-stream: what `--merge` is for.
fn looks_rotated(series: &[(Option<Timestamp>, Option<Timestamp>, u64)]) -> bool {
    series.len() > 1
        && series.windows(2).all(|w| {
            let ((_, Some(prev_end), _), (Some(next_start), _, midstream)) = (w[0], w[1]) else {
                return false;
            };
            midstream > 0
                && next_start >= prev_end
                && next_start.since(prev_end) <= std::time::Duration::from_secs(2)
        })
}

struct ReportHandler<'a> {
    out: Box<dyn Emitter>,
    summary: Summary,
    filter: &'a ConnFilter,
}

impl Handler for ReportHandler<'_> {
    fn keep(&self) -> Keep {
        Keep {
            records: Some(self.filter.clone()),
            render: self.out.renderer(),
            scope: None,
        }
    }

    fn connection(&mut self, p: Prepared, bytes: &[u8]) -> io::Result<()> {
        let Some(tally) = p.tally else { return Ok(()) };
        self.summary.add_tally(&tally);
        match (p.rendered, p.rec) {
            (Some((start, mid, end)), _) => self.out.rendered(&bytes[start..mid], &bytes[mid..end]),
            (None, Some(rec)) => self.out.connection(&rec),
            (None, None) => Ok(()),
        }
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.out.error(e)
    }

    fn capture(
        &mut self,
        result: &CaptureResult,
        findings: Vec<Finding>,
        _: bool,
    ) -> io::Result<()> {
        self.summary
            .add_time_wait(&result.capture.path, &result.time_wait);
        for f in &findings {
            self.out.finding(f)?;
        }
        self.out.capture(result, None)
    }
}

fn report(cfg: ReportConfig) -> anyhow::Result<ExitStatus> {
    let out: Box<dyn Emitter> = match cfg.format {
        ReportFormat::Table => Box::new(TableEmitter::new(
            stdout(),
            TableOptions {
                all: cfg.all,
                limit: cfg.limit,
                color: color_wanted(),
            },
        )),
        ReportFormat::Json => Box::new(JsonEmitter::new(stdout())),
        ReportFormat::Jsonl => Box::new(JsonlEmitter::new(stdout())),
        ReportFormat::Csv => Box::new(CsvEmitter::new(stdout())),
        ReportFormat::Zeek => Box::new(ZeekEmitter::new(stdout())),
    };
    let mut h = ReportHandler {
        out,
        summary: Summary::default(),
        filter: &cfg.filter,
    };
    let mut checker = Checker::new(cfg.rules.clone());
    let status = read_captures(&cfg.captures, &cfg.run, cfg.tcp, &mut checker, &mut h)?;
    h.out.finish(&h.summary)?;
    Ok(status)
}

struct LintHandler<'a> {
    out: Box<dyn Emitter>,
    cfg: &'a LintConfig,
    /// How many findings of each rule the capture being read has: enough for its verdict.
    codes: Counts,
    failed: bool,
}

impl Handler for LintHandler<'_> {
    fn keep(&self) -> Keep {
        Keep {
            scope: Some(self.cfg.scope.clone()),
            ..Keep::default()
        }
    }

    fn connection(&mut self, p: Prepared, _: &[u8]) -> io::Result<()> {
        for f in &p.findings {
            self.out.finding(f)?;
            self.codes.add(f.code);
        }
        Ok(())
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.out.error(e)
    }

    fn capture(
        &mut self,
        result: &CaptureResult,
        findings: Vec<Finding>,
        error: bool,
    ) -> io::Result<()> {
        // TW001 counted only the TIME-WAIT of connections in scope (Options::time_wait_scope).
        for f in &findings {
            self.out.finding(f)?;
            self.codes.add(f.code);
        }
        let verdict = Verdict::judge(
            &result.capture.path,
            &self.codes,
            &self.cfg.rules,
            self.cfg.fail_on,
            error,
        );
        self.codes.clear();
        self.failed |= verdict.failed();
        self.out.capture(result, Some(&verdict))
    }
}

fn lint(cfg: LintConfig) -> anyhow::Result<ExitStatus> {
    let out: Box<dyn Emitter> = match cfg.format {
        LintFormat::Human => Box::new(HumanEmitter::new(stdout(), color_wanted())),
        LintFormat::Json => Box::new(LintJsonEmitter::new(stdout())),
        LintFormat::Github => Box::new(GithubEmitter::new(
            stdout(),
            cfg.max_annotations,
            std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
        )),
        LintFormat::Sarif => Box::new(SarifEmitter::new(stdout())),
        LintFormat::Junit => Box::new(JunitEmitter::new(stdout())),
    };
    let mut h = LintHandler {
        out,
        cfg: &cfg,
        codes: Counts::default(),
        failed: false,
    };
    let mut checker = Checker::new(cfg.rules.clone());
    let status = read_captures(&cfg.captures, &cfg.run, cfg.tcp, &mut checker, &mut h)?;
    h.out.finish(&Summary::default())?;
    Ok(match status {
        ExitStatus::Error => ExitStatus::Error,
        _ if h.failed && !cfg.exit_zero => ExitStatus::Failure,
        _ => ExitStatus::Success,
    })
}

fn explain(code: &str) -> anyhow::Result<ExitStatus> {
    let Some(rule) = findings::rule(code) else {
        let _ = writeln!(
            io::stderr(),
            "synack: error: unknown rule {code:?}; known rules: {}",
            findings::known_codes()
        );
        return Ok(ExitStatus::Error);
    };
    let mut out = stdout();
    writeln!(
        out,
        "{} {} ({} by default)",
        rule.code, rule.name, rule.severity
    )?;
    writeln!(out, "Fires when {}.", rule.summary)?;
    writeln!(out)?;
    writeln!(out, "{}", rule.explain_text())?;
    writeln!(out)?;
    writeln!(out, "Help: {}", rule.help)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}

fn rules(format: RulesFormat) -> anyhow::Result<ExitStatus> {
    let mut out = stdout();
    match format {
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = all_rules()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity,
                        "summary": r.summary,
                        "help": r.help,
                        "explain": r.explain_text(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        RulesFormat::Table => {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED);
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_header(vec!["Code", "Name", "Default", "Fires when"]);
            for r in all_rules() {
                t.add_row(vec![r.code, r.name, r.severity.name(), r.summary]);
            }
            writeln!(out, "{t}")?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}

fn unsupported(r: &CaptureResult) -> String {
    let names: Vec<String> = r
        .capture
        .unsupported_link_types()
        .iter()
        .map(|l| format!("{l} ({})", l.0))
        .collect();
    format!(
        "link type {} is not one synack decodes and no TCP segment was decoded; synack reads ETHERNET, NULL, LOOP, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2, NFLOG, IPOIB and ARCNET_LINUX captures: re-capture on such an interface (tcpdump -i any gives LINUX_SLL) or convert with editcap -T",
        names.join(", ")
    )
}
