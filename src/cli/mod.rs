//! The command line: clap's raw arguments, checked into the configurations (`config.rs`) that
//! the library's pipeline runs (`crate::pipeline::run_report`, `run_lint`); `explain` and
//! `rules` print what the rules say. Nothing here sees a connection. Exit statuses follow
//! CONTRACT.md: 0 clean, 1 findings (lint), 2 error.

mod commands;
mod config;

pub use crate::pipeline::{
    ConnFilter, ExitStatus, LintConfig, LintFormat, ReportConfig, ReportFormat, RunConfig,
    ShowConfig, ShowFormat,
};
pub use config::parse_duration;

use crate::analyze::DEFAULT_MAX_CONNECTIONS;
use crate::findings::{self, Severity};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
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

    /// Colour: auto (a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces
    /// it), always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The connection state report of one or more captures
    Report(ReportArgs),
    /// Findings with a CI verdict: exit 1 when a finding at or above --fail-on exceeds its allowed count
    Lint(LintArgs),
    /// One connection as a ladder diagram: each segment an arrow, each side's state beside it
    Show(ShowArgs),
    /// What a word of the report means: a rule, a Zeek conn_state or history letter, an RFC 9293
    /// state, a Linux setting
    Explain {
        /// A rule code (HS001) or name (syn-retransmitted), a conn_state (S0), a history letter
        /// (h, T), a state (TIME-WAIT, syn_recv), a setting (tcp_fin_timeout)
        #[arg(required_unless_present = "list")]
        term: Option<String>,
        /// List every term
        #[arg(long, conflicts_with = "term")]
        list: bool,
    },
    /// Every rule with its code, name and default severity
    Rules {
        #[arg(short, long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
    },
    /// Shell completions on standard output (bash: `synack completions bash >
    /// /etc/bash_completion.d/synack`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on standard output: `synack man > synack.1; man ./synack.1`
    Man,
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

/// `synack show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A pcap or pcapng capture, gzip-compressed or not, or - for standard input
    #[arg(value_name = "CAPTURE")]
    pub capture: PathBuf,

    /// The connection: its id from a report (the frame number of its first segment), or its
    /// 4-tuple ADDR:PORT-ADDR:PORT in either order ([ADDR]:PORT for IPv6)
    #[arg(long, value_name = "ID|A:P-B:P")]
    pub conn: String,

    /// text: the ladder in the terminal; svg: a standalone SVG; json: its rows
    #[arg(short, long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,

    #[command(flatten)]
    pub rules: RuleArgs,
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

    /// Connections held open at most, over all --jobs together; beyond, the longest idle are
    /// written early (CQ006), the same ones whatever --jobs is. An open connection takes about
    /// 1.5 KB (1.1 KB for lint), a half-open attempt gone quiet about 150 bytes: the default
    /// keeps the table within 1.5 GB at worst, and a flood of a million spoofed SYNs within
    /// 250 MB; lower it on a small machine. It is checked every 8192 frames, acting up to
    /// 100 000 frames later. Written connections' 40-byte tombstones do not count
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

    /// Write to this file instead of standard output; for --format parquet (required), the
    /// directory of its .parquet files, created when missing
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

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

    /// Only connections with a side in this RFC 9293 state at their end (e.g. TIME-WAIT: where
    /// the side was when the connection was written, not a state it passed through), or with
    /// this Zeek conn_state (e.g. S0) (repeatable)
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

    /// Fail on findings at or above this severity [default: warning]
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

/// NO_COLOR (no-color.org): set and not empty turns colour off.
/// The width to fit: `COLUMNS` when set (as shells and `ls` use it), else the terminal's when
/// stdout is one; unknown (no limit) in a pipe.
fn terminal_width() -> Option<usize> {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
    {
        return Some(w);
    }
    if !io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// Colour on standard output: `--color`, else (auto) CLICOLOR_FORCE (set and not 0) forces it;
/// NO_COLOR (set and not empty) or TERM=dumb turns it off; otherwise when standard output is a
/// terminal (https://no-color.org, https://bixense.com/clicolors).
fn color_wanted() -> bool {
    color_for(io::stdout().is_terminal())
}

/// Colour for output that goes to a terminal (`terminal`) or not: `--color`, then the
/// environment, then `terminal`.
fn color_for(terminal: bool) -> bool {
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if env("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if env("NO_COLOR").is_some() || env("TERM").is_some_and(|t| t == "dumb") {
        return false;
    }
    terminal
}

fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let _ = COLOR.set(cli.color);
    match cli.command {
        Command::Report(args) => crate::pipeline::run_report(&ReportConfig::try_from(args)?),
        Command::Lint(args) => crate::pipeline::run_lint(&LintConfig::try_from(args)?),
        Command::Show(args) => crate::pipeline::run_show(&ShowConfig::try_from(args)?),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "synack", &mut io::stdout());
            Ok(ExitStatus::Success)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            io::stdout().write_all(&out)?;
            Ok(ExitStatus::Success)
        }
        Command::Explain { term, list } => commands::explain(term.as_deref(), list),
        Command::Rules { format } => commands::rules(format),
    }
}
