//! `--format table`: what a person reads in a terminal.

use super::Emitter;
use crate::analyze::CaptureSummary;
use crate::time::format_duration;
use comfy_table::{presets, Cell, ContentArrangement, Table};
use std::io::{self, Write};

pub struct TableEmitter<W: Write> {
    out: W,
}

impl<W: Write> TableEmitter<W> {
    pub fn new(out: W) -> Self {
        TableEmitter { out }
    }

    /// Tables fit the terminal when stdout is one (comfy-table asks it), and take the width they
    /// need otherwise.
    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t
    }
}

impl<W: Write> Emitter for TableEmitter<W> {
    fn capture(&mut self, c: &CaptureSummary) -> io::Result<()> {
        let mut t = self.table();
        t.set_header(vec![Cell::new("Capture"), Cell::new(&c.path)]);
        let s = &c.stats;
        let format = if c.gzip {
            format!("{} (gzip)", c.format)
        } else {
            c.format.to_string()
        };
        let links: Vec<String> = c.link_types.iter().map(|l| l.to_string()).collect();
        let mut non_tcp = s.non_tcp.to_string();
        if s.ip_fragments > 0 {
            non_tcp.push_str(&format!(" ({} IP fragments)", s.ip_fragments));
        }
        let mut rows: Vec<(&str, String)> = vec![
            ("Format", format),
            ("Link types", links.join(", ")),
            ("Packets", s.packets.to_string()),
            ("TCP segments", s.tcp_segments.to_string()),
            ("Non-TCP", non_tcp),
            ("Truncated", s.truncated.to_string()),
            ("Undecodable", s.undecodable.to_string()),
        ];
        let none = || "-".to_string();
        rows.push((
            "First packet",
            c.first_ts.map_or_else(none, |t| t.to_string()),
        ));
        rows.push((
            "Last packet",
            c.last_ts.map_or_else(none, |t| t.to_string()),
        ));
        let duration = match (c.first_ts, c.last_ts) {
            (Some(a), Some(b)) => format_duration(b.since(a)),
            _ => none(),
        };
        rows.push(("Duration", duration));
        if let Some(d) = &c.damage {
            let what = if d.is_cut() {
                "no: ends mid-record"
            } else {
                "no: damaged"
            };
            let at = d
                .offset
                .map(|o| format!(" at byte {o}"))
                .unwrap_or_default();
            rows.push(("Complete", format!("{what}{at}")));
        }
        for (k, v) in rows {
            t.add_row(vec![Cell::new(k), Cell::new(v)]);
        }
        writeln!(self.out, "{t}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
