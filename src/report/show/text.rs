//! The ladder in a terminal: 80 columns, colour when asked (never with NO_COLOR: the caller
//! decides).

use super::{detail, state_label, Kind, Ladder, Row};
use crate::findings::Severity;
use std::fmt::Write as _;

const WIDTH: usize = 80;
/// Frame (6), time (11), the originator's state (13), the arrow (30), the responder's (13).
const ARROW: usize = 30;
const STATE: usize = 13;
/// Where the arrow starts: what the detail lines are indented by.
const INDENT: usize = 6 + 1 + 11 + 2 + STATE;

struct Paint(bool);

impl Paint {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.0 && !code.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn state(&self, name: &str, inferred: bool) -> String {
        let code = match name {
            "ESTABLISHED" => "32",
            "SYN-SENT" | "SYN-RECEIVED" => "36",
            "TIME-WAIT" => "35",
            "CLOSED" | "LISTEN" | "UNKNOWN" => "2",
            _ => "33",
        };
        let label = state_label(name, inferred);
        let pad = STATE.saturating_sub(label.chars().count());
        format!("{}{}", self.paint(code, &label), " ".repeat(pad))
    }
}

/// Words of `s` in lines of at most `width` characters.
pub(crate) fn wrap(s: &str, width: usize) -> Vec<String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    lines_of(&words, width)
        .into_iter()
        .map(|r| words[r].join(" "))
        .collect()
}

/// `tokens` (a word, or words never split, each) in lines of at most `width` characters, as
/// ranges of them (a token longer than a line gets a line of its own).
fn lines_of<T: AsRef<str>>(tokens: &[T], width: usize) -> Vec<std::ops::Range<usize>> {
    let mut lines = Vec::new();
    let (mut start, mut len) = (0, 0);
    for (i, t) in tokens.iter().enumerate() {
        let n = t.as_ref().chars().count();
        if i > start && len + 1 + n > width {
            lines.push(start..i);
            (start, len) = (i, 0);
        }
        len += n + usize::from(i > start);
    }
    if start < tokens.len() {
        lines.push(start..tokens.len());
    }
    lines
}

/// The arrow of a row: its flags on a line, pointing from the sender.
fn arrow(r: &Row, p: &Paint) -> String {
    let label = format!(" {} ", r.flags);
    let n = label.chars().count();
    let fill = ARROW.saturating_sub(n + 1);
    let (left, right) = (fill / 2, fill - fill / 2);
    let code = match r.kind() {
        Kind::Rst => "1;31",
        Kind::Syn => "36",
        Kind::Fin => "33",
        Kind::Other => "",
    };
    let label = p.paint(code, &label);
    if r.from == "orig" {
        format!("{}{}{}▶", "─".repeat(left), label, "─".repeat(right))
    } else {
        format!("◀{}{}{}", "─".repeat(left), label, "─".repeat(right))
    }
}

/// The whole ladder as text.
pub fn text(l: &Ladder, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        p.paint("1", &format!("connection {} of {}", l.id, l.capture))
    );
    let _ = writeln!(out, "  orig (left)   {}", l.orig);
    let _ = writeln!(out, "  resp (right)  {}", l.resp);
    let _ = writeln!(out);
    let head = format!(
        "{:>6} {:>11}  {:<STATE$}{:^ARROW$}  {:<STATE$}",
        "frame", "time", "orig", "", "resp"
    );
    let _ = writeln!(out, "{}", head.trim_end());
    for r in &l.rows {
        let ls = if r.orig_changed {
            p.state(r.orig_state, r.orig_inferred)
        } else {
            " ".repeat(STATE)
        };
        let rs = if r.resp_changed {
            p.state(r.resp_state, r.resp_inferred)
        } else {
            String::new()
        };
        let line = format!(
            "{:>6} {:>11}  {}{}  {}",
            r.frame,
            format!("+{:.6}", r.time),
            ls,
            arrow(r, &p),
            rs
        );
        let _ = writeln!(out, "{}", line.trim_end());
        let numbers = detail(r);
        let mut tokens: Vec<String> = numbers.split_whitespace().map(str::to_string).collect();
        let plain = tokens.len();
        tokens.extend(r.marks.iter().map(|m| format!("[{m}]")));
        tokens.extend(r.findings.iter().map(|f| f.to_string()));
        // Marks and findings stand out; the numbers do not.
        let painted: Vec<String> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| p.paint(if i < plain { "2" } else { "33" }, t))
            .collect();
        for line in lines_of(&tokens, WIDTH - INDENT) {
            let _ = writeln!(out, "{}{}", " ".repeat(INDENT), painted[line].join(" "));
        }
    }
    if !l.notes.is_empty() {
        let _ = writeln!(out);
        for n in &l.notes {
            for w in wrap(n, WIDTH - 2) {
                let _ = writeln!(out, "  {w}");
            }
        }
    }
    if !l.findings.is_empty() {
        let _ = writeln!(out);
        for f in &l.findings {
            let code = match f.severity {
                Severity::Error => "1;31",
                Severity::Warning => "33",
                Severity::Info => "34",
            };
            let at = f.frame.map(|x| format!(" (frame {x})")).unwrap_or_default();
            let head = format!("{} {} [{}]{at}", f.code, f.name, f.severity.name());
            let _ = writeln!(out, "{}", p.paint(code, &head));
            for w in wrap(&f.message, WIDTH - 4) {
                let _ = writeln!(out, "    {w}");
            }
        }
    }
    if !l.other_connections.is_empty() {
        let ids: Vec<String> = l.other_connections.iter().map(u64::to_string).collect();
        let _ = writeln!(out);
        for w in wrap(
            &format!(
                "Other connections on this 4-tuple (port reuse): {}; show one with --conn ID.",
                ids.join(", ")
            ),
            WIDTH - 2,
        ) {
            let _ = writeln!(out, "  {w}");
        }
    }
    out
}
