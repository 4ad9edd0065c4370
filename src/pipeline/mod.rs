//! The report pipeline as one call: a capture read, each connection turned into its record
//! with its findings as it ends, the capture-wide findings and the summary, all handed to an
//! emitter. `synack report` runs the same steps with filters, threads and several captures
//! (`src/cli`); this is the plain path that fuzzing, the robustness tests and embedders use.
//! `run_report` and `run_lint` are those commands' drivers; `config` holds what they are
//! asked to do.

mod config;
mod drive;
mod show;

pub use config::{
    ConnFilter, HostMatch, LintConfig, LintFormat, ReportConfig, ReportFormat, RunConfig,
};
pub use drive::{run_lint, run_report, ExitStatus};
pub use show::{parse_target, run_show, ShowConfig, ShowFormat};

use crate::analyze::{self, CaptureResult, Options};
use crate::capture::CaptureReader;
use crate::findings::{Attempts, Checker, RuleConfig};
use crate::report::{ConnReport, Emitter, Summary};
use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Reads `reader` (named `name` in the output) and reports it to `out` with `rules`: every
/// connection with its findings, the capture-wide findings, the capture, the summary; then
/// `out.finish`. Returns what the analysis found, or the emitter's write error.
pub fn report(
    name: &str,
    reader: CaptureReader,
    opts: Options,
    rules: RuleConfig,
    out: &mut dyn Emitter,
) -> io::Result<CaptureResult> {
    let capture: Arc<str> = Arc::from(name);
    let mut checker = Checker::new(rules);
    checker.begin_capture(name);
    let mut summary = Summary::default();
    let mut attempts = Attempts::default();
    let mut failed: Option<io::Error> = None;
    let result = analyze::run(name.to_string(), reader, opts, |c| {
        let (findings, attempt) = checker.connection(&c);
        if let Some(a) = attempt {
            attempts.add(a);
        }
        let mut rec = ConnReport::new(&c, &capture);
        rec.findings = findings;
        summary.add(&rec);
        match out.connection(&rec) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    for f in checker.capture_done(&result, attempts) {
        out.finding(&f)?;
    }
    summary.add_time_wait(&result);
    out.capture(&result, None)?;
    out.finish(&summary)?;
    Ok(result)
}
