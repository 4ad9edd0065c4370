//! The command line: clap's raw arguments, then the commands that run them. Exit statuses follow
//! CONTRACT.md: 0 clean, 1 findings (lint), 2 error.

use crate::analyze::{analyze_capture, CaptureSummary};
use crate::report::{Emitter, JsonEmitter, TableEmitter};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Report on one or more captures
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Tables for people
    Table,
    /// One JSON document (CONTRACT.md schema 1)
    Json,
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
        Command::Report(args) => report(args),
    }
}

/// Writes one line to stderr; a closed stderr is not worth a panic.
fn say(level: &str, path: &str, msg: &dyn std::fmt::Display) {
    let _ = writeln!(io::stderr(), "synack: {level}: {path}: {msg}");
}

fn report(args: ReportArgs) -> anyhow::Result<ExitStatus> {
    let out = BufWriter::new(io::stdout().lock());
    let mut emitter: Box<dyn Emitter> = match args.format {
        ReportFormat::Table => Box::new(TableEmitter::new(out)),
        ReportFormat::Json => Box::new(JsonEmitter::new(out)),
    };
    let mut status = ExitStatus::Success;
    for path in &args.captures {
        let name = path.display().to_string();
        let summary = match analyze_capture(path, |_| {}) {
            Ok(s) => s,
            Err(e) => {
                say("error", &name, &e);
                status = ExitStatus::Error;
                continue;
            }
        };
        if summary.nothing_decodable() {
            say("error", &name, &unsupported(&summary));
            status = ExitStatus::Error;
            continue;
        }
        emitter.capture(&summary)?;
        if let Some(d) = &summary.damage {
            let read = format!(
                "{d}; analysed the {} whole records before it",
                summary.stats.packets
            );
            if d.is_cut() {
                say("warning", &name, &read);
            } else {
                say("error", &name, &read);
                status = ExitStatus::Error;
            }
        }
    }
    emitter.finish()?;
    Ok(status)
}

fn unsupported(s: &CaptureSummary) -> String {
    let names: Vec<String> = s
        .unsupported_link_types()
        .iter()
        .map(|l| format!("{l} ({})", l.0))
        .collect();
    format!(
        "link type {} is not one synack decodes and no TCP segment was decoded; synack reads ETHERNET, NULL, LOOP, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2, NFLOG, IPOIB and ARCNET_LINUX captures: re-capture on such an interface (tcpdump -i any gives LINUX_SLL) or convert with editcap -T",
        names.join(", ")
    )
}
