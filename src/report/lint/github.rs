//! `--format github`: one GitHub Actions workflow command per finding
//! (`::warning title=HS001 syn-retransmitted,file=x.pcap::…`), shown as annotations.

use super::locator;
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Severity, Verdict};
use crate::report::{Emitter, Summary};
use std::io::{self, Write};

pub struct GithubEmitter<W: Write> {
    out: W,
}

impl<W: Write> GithubEmitter<W> {
    pub fn new(out: W) -> Self {
        GithubEmitter { out }
    }
}

/// Escaping for the message part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a property value (`title=`, `file=`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl<W: Write> Emitter for GithubEmitter<W> {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        writeln!(
            self.out,
            "::{level} title={},file={}::{}",
            property(&format!("{} {}", f.code, f.name)),
            property(&f.capture),
            data(&format!("{} ({}) help: {}", f.message, locator(f), f.help))
        )
    }

    fn capture(&mut self, _: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
