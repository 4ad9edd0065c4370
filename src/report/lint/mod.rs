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
