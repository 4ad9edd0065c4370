//! Lint formats: `human` (grouped by rule, a `-->` locator per finding, the help line, a
//! verdict), `json`, `github` (workflow commands), `sarif` (SARIF 2.1.0) and `junit`.

mod github;
mod human;
mod json;
mod junit;
mod sarif;

pub use github::GithubEmitter;
pub use human::HumanEmitter;
pub use json::LintJsonEmitter;
pub use junit::JunitEmitter;
pub use sarif::SarifEmitter;

use crate::findings::Finding;
use crate::report::spill::Spill;
use serde::Serialize;
use std::io::{self, Write};

/// Items of a pretty-printed JSON array written one by one, held until the document around them
/// is known (lint's JSON `findings`, SARIF's `results`).
pub(crate) struct PrettyItems {
    spill: Spill,
    count: u64,
    /// Spaces before each line of an item: where the array sits in the document.
    indent: usize,
}

impl PrettyItems {
    pub fn new(indent: usize) -> Self {
        PrettyItems {
            spill: Spill::default(),
            count: 0,
            indent,
        }
    }

    pub fn push<T: Serialize>(&mut self, item: &T) -> io::Result<()> {
        let text = serde_json::to_string_pretty(item)?;
        // Strings in JSON hold no raw newline: every newline here is the printer's.
        self.spill.write_all(b",\n")?;
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.spill.write_all(b"\n")?;
            }
            write!(self.spill, "{:1$}{line}", "", self.indent)?;
        }
        self.count += 1;
        Ok(())
    }

    /// Writes `doc`, pretty-printed, with these items in its array `key` (empty in `doc`, and
    /// its last key: `"key": []` appears once).
    pub fn write_into(
        &mut self,
        out: &mut impl Write,
        doc: &serde_json::Value,
        key: &str,
    ) -> io::Result<()> {
        let text = serde_json::to_string_pretty(doc)?;
        let hole = format!("\"{key}\": []");
        let at = text
            .rfind(&hole)
            .ok_or_else(|| io::Error::other(format!("no empty {key} in the document")))?;
        let (head, tail) = (&text[..at + hole.len() - 2], &text[at + hole.len()..]);
        out.write_all(head.as_bytes())?;
        if self.count == 0 {
            out.write_all(b"[]")?;
        } else {
            out.write_all(b"[\n")?;
            // Every item was written led by ",\n": the first one's is dropped.
            self.spill.drain_to(out, 2)?;
            write!(out, "\n{:1$}]", "", self.indent - 2)?;
        }
        self.count = 0;
        out.write_all(tail.as_bytes())
    }
}

/// Where a finding points, in words: `x.pcap frame 14, conn 3 10.0.0.1:51002 → 10.0.0.2:81 at
/// 2023-11-14T22:13:25.956928Z`.
pub(crate) fn locator(f: &Finding) -> String {
    let mut s = f.capture.to_string();
    if let Some(frame) = f.frame {
        s.push_str(&format!(" frame {frame}"));
    }
    if let Some(c) = f.connection {
        s.push_str(&format!(", conn {c}"));
    }
    match (&f.orig, &f.resp) {
        (Some(o), Some(r)) => s.push_str(&format!(" {o} → {r}")),
        (Some(h), None) | (None, Some(h)) => s.push_str(&format!(" host {h}")),
        (None, None) => {}
    }
    if let Some(ts) = f.ts {
        s.push_str(&format!(" at {ts}"));
    }
    s
}
