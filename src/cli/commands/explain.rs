//! `synack explain WORD`: what a rule means, why it matters, what to do; and every other word
//! of a report (`crate::vocabulary`): conn_states, history letters, states, Linux settings.
//! `synack explain --list` lists them all.

use super::super::{stdout, ExitStatus};
use crate::findings::{self, Rule};
use crate::vocabulary::{self, Found, Kind, Term};
use std::io::{self, Write};

pub(in crate::cli) fn explain(word: Option<&str>, list: bool) -> anyhow::Result<ExitStatus> {
    let mut out = stdout();
    if list {
        write_list(&mut out)?;
        out.flush()?;
        return Ok(ExitStatus::Success);
    }
    let word = word.unwrap_or_default();
    match vocabulary::lookup(word) {
        Some(Found::Rule(rule)) => write_rule(&mut out, rule)?,
        Some(Found::Term(term)) => write_term(&mut out, term, word.trim())?,
        None if looks_like_code(word) => {
            let _ = writeln!(
                io::stderr(),
                "synack: error: unknown rule {word:?}; known rules: {}",
                findings::known_codes()
            );
            return Ok(ExitStatus::Error);
        }
        None => {
            let near = vocabulary::near(word);
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", near.join(", "))
            };
            let _ = writeln!(
                io::stderr(),
                "synack: error: {word:?} is no rule, conn_state, history letter, state or setting \
                 synack knows{hint}; `synack explain --list` lists every term"
            );
            return Ok(ExitStatus::Error);
        }
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}

/// Two letters and three digits: a rule code, mistyped or from a newer synack.
fn looks_like_code(w: &str) -> bool {
    let b = w.trim().as_bytes();
    b.len() == 5
        && b[..2].iter().all(u8::is_ascii_alphabetic)
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn write_rule(out: &mut impl Write, rule: &Rule) -> io::Result<()> {
    writeln!(
        out,
        "{} {} ({} by default)",
        rule.code, rule.name, rule.severity
    )?;
    paragraph(out, &format!("Fires when {}.", rule.summary))?;
    writeln!(out)?;
    writeln!(out, "{}", rule.explain_text())?;
    writeln!(out)?;
    paragraph(out, &format!("Help: {}", rule.help))
}

/// A term: its name and kind, its line, its sections. A history letter is shown in the case
/// asked for, and says whose it is.
fn write_term(out: &mut impl Write, t: &Term, asked: &str) -> io::Result<()> {
    if t.kind == Kind::HistoryLetter {
        let (upper, lower) = (t.name.to_ascii_uppercase(), t.name);
        if t.name == "^" {
            writeln!(out, "^ ({})", t.kind.title())?;
            paragraph(out, &format!("The history shows {}.", t.summary))?;
        } else {
            let who = if asked == upper {
                "the originator"
            } else {
                "the responder"
            };
            writeln!(out, "{asked} ({})", t.kind.title())?;
            writeln!(out, "{} sent {}.", capitalized(who), t.summary)?;
            writeln!(
                out,
                "Upper case ({upper}) is the originator's, lower case ({lower}) the responder's."
            )?;
        }
    } else {
        writeln!(out, "{} ({})", t.name, t.kind.title())?;
        paragraph(out, t.summary)?;
        if !t.aliases.is_empty() {
            writeln!(out, "Also spelled: {}", t.aliases.join(", "))?;
        }
    }
    for (heading, text) in t.sections {
        writeln!(out)?;
        paragraph(out, &format!("{heading}: {text}"))?;
    }
    Ok(())
}

/// Text in lines that fit the terminal (80 columns in a pipe), continued two spaces in.
fn paragraph(out: &mut impl Write, text: &str) -> io::Result<()> {
    let width = super::super::terminal_width().unwrap_or(80).clamp(40, 100);
    for (i, line) in crate::report::show::wrap(text, width - 2)
        .iter()
        .enumerate()
    {
        let indent = if i == 0 { "" } else { "  " };
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn write_list(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "Rules (synack explain HS001):")?;
    for r in findings::all_rules() {
        writeln!(out, "  {:<8} {}", r.code, r.name)?;
    }
    for kind in [
        Kind::ConnState,
        Kind::HistoryLetter,
        Kind::State,
        Kind::Setting,
    ] {
        writeln!(out)?;
        let case = if kind == Kind::HistoryLetter {
            ", upper case the originator's"
        } else {
            ""
        };
        writeln!(
            out,
            "{}{case} (synack explain {}):",
            kind.title(),
            kind.example()
        )?;
        for t in vocabulary::TERMS.iter().filter(|t| t.kind == kind) {
            let name = if kind == Kind::HistoryLetter && t.name != "^" {
                format!("{}/{}", t.name.to_ascii_uppercase(), t.name)
            } else {
                t.name.to_string()
            };
            writeln!(out, "  {name:<22} {}", t.summary)?;
        }
    }
    Ok(())
}
