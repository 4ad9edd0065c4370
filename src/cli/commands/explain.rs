//! `synack explain CODE`: what a rule means, why it matters, what to do.

use super::super::{stdout, ExitStatus};
use crate::findings;
use std::io::{self, Write};

pub(in crate::cli) fn explain(code: &str) -> anyhow::Result<ExitStatus> {
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
