//! The command line: clap's raw arguments, checked into a [`ReportConfig`], then the commands
//! that run them. Exit statuses follow CONTRACT.md: 0 clean, 1 findings (lint), 2 error.

mod config;

pub use config::{parse_duration, ConnFilter, ReportConfig};

use crate::analyze::{analyze_capture, CaptureResult};
use crate::report::{
    ConnReport, CsvEmitter, Emitter, JsonEmitter, JsonlEmitter, Summary, TableEmitter,
    TableOptions, ZeekEmitter,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
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

    /// Only connections with this address on either side (repeatable)
    #[arg(long, value_name = "ADDR")]
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

    /// 2×MSL: how long a side stays in TIME-WAIT, by capture time (500ms, 3s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub time_wait: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Tables for people
    Table,
    /// One JSON document (CONTRACT.md schema 1)
    Json,
    /// One JSON object per line: captures, connections as they end, the summary
    Jsonl,
    /// One row per connection
    Csv,
    /// A Zeek conn.log (TSV with Zeek's header lines)
    Zeek,
}

/// How a command ended, as the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything was read and nothing failed the run.
    Success,
    /// `lint`: findings at or above `--fail-on`.
    Failure,
    /// A capture could not be read, or was damaged beyond a cut tail.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Report(args) => report(ReportConfig::try_from(args)?),
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

fn emitter(cfg: &ReportConfig) -> Box<dyn Emitter> {
    let out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match cfg.format {
        ReportFormat::Table => Box::new(TableEmitter::new(
            out,
            TableOptions {
                all: cfg.all,
                limit: cfg.limit,
                color: color_wanted(),
            },
        )),
        ReportFormat::Json => Box::new(JsonEmitter::new(out)),
        ReportFormat::Jsonl => Box::new(JsonlEmitter::new(out)),
        ReportFormat::Csv => Box::new(CsvEmitter::new(out)),
        ReportFormat::Zeek => Box::new(ZeekEmitter::new(out)),
    }
}

fn report(cfg: ReportConfig) -> anyhow::Result<ExitStatus> {
    let mut out = emitter(&cfg);
    let mut summary = Summary::default();
    let mut status = ExitStatus::Success;
    for path in &cfg.captures {
        let name = path.display().to_string();
        let mut write_error: Option<io::Error> = None;
        let result = analyze_capture(path, cfg.tcp, |conn| {
            let rec = ConnReport::new(&conn, &name);
            if !cfg.filter.matches(&rec) {
                return ControlFlow::Continue(());
            }
            summary.add(&rec);
            match out.connection(&rec) {
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
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                say("error", &name, &e);
                status = ExitStatus::Error;
                continue;
            }
        };
        if result.capture.nothing_decodable() {
            say("error", &name, &unsupported(&result));
            status = ExitStatus::Error;
            continue;
        }
        summary.add_time_wait(&name, &result.time_wait);
        out.capture(&result)?;
        if let Some(d) = &result.capture.damage {
            let read = format!(
                "{d}; analysed the {} whole records before it",
                result.capture.stats.packets
            );
            if d.is_cut() {
                say("warning", &name, &read);
            } else {
                say("error", &name, &read);
                status = ExitStatus::Error;
            }
        }
    }
    out.finish(&summary)?;
    Ok(status)
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
