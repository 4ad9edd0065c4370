//! The ladder as a standalone SVG (a browser or a slide deck shows it as it is): the two sides
//! as vertical lines headed by address and port, each segment a sloping arrow labelled with its
//! flags and numbers, the states beside the lines where they change, marks and findings under
//! the arrow. No script, no external reference.

use super::{detail, state_label, Kind, Ladder, Row};
use std::fmt::Write as _;

const W: f64 = 820.0;
const LEFT: f64 = 250.0;
const RIGHT: f64 = 590.0;
const TOP: f64 = 110.0;
const ROW: f64 = 46.0;
const SLOPE: f64 = 16.0;

/// Text for XML: `&`, `<`, `>`, `"` escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn colour(r: &Row) -> &'static str {
    match r.kind() {
        Kind::Rst => "#c62828",
        Kind::Syn => "#00838f",
        Kind::Fin => "#ef6c00",
        Kind::Other => "#455a64",
    }
}

/// The ladder as an SVG document.
pub fn svg(l: &Ladder) -> String {
    let tail = 30.0 + 18.0 * (l.notes.len() + l.findings.len()) as f64;
    let h = TOP + ROW * l.rows.len() as f64 + tail + 20.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">
<title>{}</title>
<defs>"#,
        esc(&format!(
            "synack: connection {} of {}, {} to {}",
            l.id, l.capture, l.orig, l.resp
        ))
    );
    for c in ["#c62828", "#00838f", "#ef6c00", "#455a64"] {
        let id = &c[1..];
        let _ = writeln!(
            o,
            r#"<marker id="a{id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>"#
        );
    }
    let _ = writeln!(o, "</defs>");
    let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        o,
        r##"<text x="20" y="28" font-size="15" font-weight="bold" fill="#212121">{}</text>"##,
        esc(&format!("Connection {} of {}", l.id, l.capture))
    );
    let bottom = TOP + ROW * l.rows.len() as f64;
    for (x, who, addr) in [(LEFT, "originator", &l.orig), (RIGHT, "responder", &l.resp)] {
        let _ = writeln!(
            o,
            r##"<text x="{x}" y="62" text-anchor="middle" font-weight="bold" fill="#212121">{}</text>
<text x="{x}" y="78" text-anchor="middle" fill="#757575">{who}</text>
<line x1="{x}" y1="88" x2="{x}" y2="{bottom}" stroke="#9e9e9e" stroke-width="2"/>"##,
            esc(addr)
        );
    }
    let _ = writeln!(
        o,
        r##"<text x="20" y="98" fill="#757575">frame  time</text>"##
    );
    for (i, r) in l.rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let c = colour(r);
        let (x1, x2) = if r.from == "orig" {
            (LEFT, RIGHT)
        } else {
            (RIGHT, LEFT)
        };
        let _ = writeln!(
            o,
            r##"<g class="segment" data-frame="{f}">
<text x="20" y="{ty}" fill="#616161">{f}</text><text x="70" y="{ty}" fill="#616161">+{t:.6}</text>
<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y2}" stroke="{c}" stroke-width="2" marker-end="url(#a{cid})"/>
<text x="{mx}" y="{ly}" text-anchor="middle" font-weight="bold" fill="{c}">{flags}</text>
<text x="{mx}" y="{dy}" text-anchor="middle" font-size="10" fill="#616161">{d}</text>"##,
            f = r.frame,
            ty = y + 12.0,
            t = r.time,
            y2 = y + SLOPE,
            cid = &c[1..],
            mx = (LEFT + RIGHT) / 2.0,
            ly = y + 4.0,
            dy = y + SLOPE + 14.0,
            flags = esc(&r.flags),
            d = esc(&detail(r)),
        );
        let mut notes: Vec<String> = r.marks.iter().map(|m| m.to_string()).collect();
        notes.extend(r.findings.iter().map(|f| f.to_string()));
        if !notes.is_empty() {
            let _ = writeln!(
                o,
                r##"<text x="{}" y="{}" font-size="10" fill="#e65100">{}</text>"##,
                RIGHT + 110.0,
                y + SLOPE + 14.0,
                esc(&notes.join(", "))
            );
        }
        if r.orig_changed {
            let _ = writeln!(
                o,
                r##"<text x="{}" y="{}" text-anchor="end" fill="#1b5e20">{}</text>"##,
                LEFT - 8.0,
                y + SLOPE + if r.from == "orig" { 0.0 } else { 4.0 },
                esc(&state_label(r.orig_state, r.orig_inferred))
            );
        }
        if r.resp_changed {
            let _ = writeln!(
                o,
                r##"<text x="{}" y="{}" fill="#1b5e20">{}</text>"##,
                RIGHT + 8.0,
                y + SLOPE + if r.from == "resp" { 0.0 } else { 4.0 },
                esc(&state_label(r.resp_state, r.resp_inferred))
            );
        }
        let _ = writeln!(o, "</g>");
    }
    let mut y = bottom + 30.0;
    for n in &l.notes {
        let _ = writeln!(
            o,
            r##"<text x="20" y="{y}" fill="#4a148c">{}</text>"##,
            esc(n)
        );
        y += 18.0;
    }
    for f in &l.findings {
        let at = f.frame.map(|x| format!(" (frame {x})")).unwrap_or_default();
        let _ = writeln!(
            o,
            r##"<text x="20" y="{y}" fill="#b71c1c">{}</text>"##,
            esc(&format!("{} {}{at}: {}", f.code, f.name, f.message))
        );
        y += 18.0;
    }
    let _ = writeln!(o, "</svg>");
    o
}
