//! The drivers of `report` and `lint`: captures read one after another (or merged), each
//! connection prepared where it ended (record, filter, findings, tally, rendering), handed to the
//! command's handler in order, and every error shown in the output as well as on stderr.

use super::config::{ConnFilter, LintConfig, ReportConfig, RunConfig};
use crate::analyze::{analyze_merged, CaptureResult, Options};
use crate::capture::CaptureReader;
use crate::findings::{Attempts, Checker, Counts, Finding, SynAttempt, Verdict};
use crate::flow::Flow;
use crate::report::summary::Tally;
use crate::report::{ConnReport, Emitter, InputError, Render, Summary};
use crate::tcp::TcpConfig;
use crate::time::Timestamp;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

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

/// Writes one line to stderr; a closed stderr is not worth a panic.
fn say(level: &str, path: &str, msg: &dyn std::fmt::Display) {
    let _ = writeln!(io::stderr(), "synack: {level}: {path}: {msg}");
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
    fn prepare(&self, checker: &Checker, conn: &Flow, bytes: &mut Vec<u8>) -> Prepared {
        Prepared {
            midstream: conn.is_midstream(),
            ..self.prepare_inner(checker, conn, bytes)
        }
    }

    fn prepare_inner(&self, checker: &Checker, conn: &Flow, bytes: &mut Vec<u8>) -> Prepared {
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
        // A troubled connection's segments travel with it, for its ladder.
        if rec.troubled() {
            rec.ladder = conn.ladder.as_ref().map(|l| Box::new(l.log().clone()));
        }
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
    /// The command's emitter.
    fn emitter(&mut self) -> &mut dyn Emitter;
    /// A capture could not be read, or only in part (its `capture` follows): the emitter shows
    /// it.
    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.emitter().error(e)
    }
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
        let prepare = |c: Box<Flow>, bytes: &mut Vec<u8>| keep.prepare(rules, &c, bytes);
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
                let e = InputError::new(&file.path, d.offset, read);
                say("warning", &file.path, &e.located());
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
    let e = InputError::new(path, offset, message);
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

    fn emitter(&mut self) -> &mut dyn Emitter {
        self.out.as_mut()
    }

    fn capture(
        &mut self,
        result: &CaptureResult,
        findings: Vec<Finding>,
        _: bool,
    ) -> io::Result<()> {
        self.summary.add_time_wait(result);
        for f in &findings {
            self.out.finding(f)?;
        }
        self.out.capture(result, None)
    }
}

/// `synack report`: every capture of `cfg` read (or merged), each connection written to the
/// format's emitter as it ends, the summary at the end.
pub fn run_report(cfg: &ReportConfig) -> anyhow::Result<ExitStatus> {
    let out = cfg.emitter()?;
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

    fn emitter(&mut self) -> &mut dyn Emitter {
        self.out.as_mut()
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

/// `synack lint`: every capture of `cfg` judged on its own; the exit status follows the verdicts.
pub fn run_lint(cfg: &LintConfig) -> anyhow::Result<ExitStatus> {
    let out = cfg.emitter();
    let mut h = LintHandler {
        out,
        cfg,
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
