//! `--format table`: what a person reads in a terminal. Per capture a header table; at the end
//! the summary (conn_state counts, a final-state matrix orig × resp), the TIME-WAIT holders and
//! the connections, troubled ones first. Tables fit the terminal; colour only on a terminal and
//! never with NO_COLOR.

use super::{ConnReport, Emitter, InputError, Summary};
use crate::analyze::CaptureResult;
use crate::findings::Verdict;
use crate::findings::{Finding, Severity};
use crate::series::{sparkline, Kind, Series};
use crate::tcp::State;
use crate::time::format_duration;
use crate::zeek::ConnState;
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};
use std::io::{self, Write};

#[derive(Clone, Copy, Debug)]
pub struct TableOptions {
    /// Every connection, not just the first `limit`.
    pub all: bool,
    pub limit: usize,
    pub color: bool,
    /// The width to fit, when known; below [`FULL_WIDTH`] connections are listed two lines
    /// each instead of in the wide table.
    pub width: Option<usize>,
}

/// The narrowest width the connections table is drawn whole in (an IPv4 4-tuple, two state
/// names, the rest): below, a compact layout that never breaks an address or a state name.
pub const FULL_WIDTH: usize = 132;

pub struct TableEmitter<W: Write> {
    out: W,
    opts: TableOptions,
    troubled: Vec<ConnReport>,
    clean: Vec<ConnReport>,
    seen: u64,
    seen_troubled: u64,
    captures: Vec<String>,
    /// Per rule: (code, name, severity, count, first message), in the order first seen.
    findings: Vec<(&'static str, &'static str, Severity, u64, String)>,
    errors: Vec<InputError>,
}

impl<W: Write> TableEmitter<W> {
    pub fn new(out: W, opts: TableOptions) -> Self {
        TableEmitter {
            out,
            opts,
            troubled: Vec::new(),
            clean: Vec::new(),
            seen: 0,
            seen_troubled: 0,
            captures: Vec::new(),
            findings: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The captures that could not be read, in a table headed in red: they come before every
    /// figure, so no total reads as if they had been empty.
    fn errors_table(&self) -> Table {
        let mut t = self.table();
        t.set_header(vec![
            self.paint("Not read", Some(Color::Red)),
            Cell::new("Where"),
            Cell::new("Why, and what to do"),
        ]);
        for e in &self.errors {
            let at = e
                .offset
                .map_or_else(|| "-".to_string(), |o| format!("byte {o}"));
            t.add_row(vec![
                Cell::new(&e.path),
                Cell::new(at),
                Cell::new(&e.message),
            ]);
        }
        t
    }

    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = self.opts.width {
            t.set_width(u16::try_from(w).unwrap_or(u16::MAX));
        }
        if self.opts.color {
            // Asked for (a terminal, --color always, CLICOLOR_FORCE): even into a pipe.
            t.enforce_styling();
        }
        t
    }

    /// The connections two lines each (more when a 4-tuple is wider than the line): for a
    /// terminal narrower than [`FULL_WIDTH`].
    fn connections_list(&self, shown: &[&ConnReport], width: usize) -> String {
        const INDENT: usize = 8;
        let several = self.captures.len() > 1;
        let mut out = String::new();
        for c in shown {
            let id = format!("{:>6}  ", c.id);
            let tuple = format!("{} → {}", c.orig_ep, c.resp_ep);
            if INDENT + tuple.chars().count() <= width {
                out.push_str(&format!("{id}{tuple}\n"));
            } else {
                out.push_str(&format!(
                    "{id}{}\n{}→ {}\n",
                    c.orig_ep,
                    " ".repeat(INDENT),
                    c.resp_ep
                ));
            }
            let states = format!(
                "{} / {}",
                self.paint_text(
                    state_label(c.orig_state, c.orig_state_inferred),
                    Self::state_color(c.orig_state)
                ),
                self.paint_text(
                    state_label(c.resp_state, c.resp_state_inferred),
                    Self::state_color(c.resp_state)
                )
            );
            let mut tokens: Vec<(String, usize)> = vec![(
                states,
                state_label(c.orig_state, c.orig_state_inferred)
                    .chars()
                    .count()
                    + 3
                    + state_label(c.resp_state, c.resp_state_inferred)
                        .chars()
                        .count(),
            )];
            let mut plain = |t: String| {
                let n = t.chars().count();
                tokens.push((t, n));
            };
            plain(c.conn_state.name().to_string());
            if !c.history.is_empty() {
                plain(c.history.clone());
            }
            if let Some(rtt) = c.handshake_rtt {
                plain(format!("rtt {}", format_duration(rtt)));
            }
            if c.syn_retransmits > 0 {
                plain(format!("SYN rtx {}", c.syn_retransmits));
            }
            if let Some(r) = &c.rst {
                plain(format!("RST {} {}", r.by, r.kind));
            }
            for f in &c.findings {
                plain(f.code.to_string());
            }
            if several {
                plain(c.capture.to_string());
            }
            let mut line = String::new();
            let mut len = 0;
            for (t, n) in tokens {
                if len > 0 && INDENT + len + 2 + n > width {
                    out.push_str(&format!("{}{line}\n", " ".repeat(INDENT)));
                    line.clear();
                    len = 0;
                }
                if len > 0 {
                    line.push_str("  ");
                    len += 2;
                }
                line.push_str(&t);
                len += n;
            }
            if len > 0 {
                out.push_str(&format!("{}{line}\n", " ".repeat(INDENT)));
            }
        }
        out
    }

    /// `text` in lines of the width, when it is known (words never split).
    fn fit(&self, text: &str) -> String {
        let Some(w) = self.opts.width else {
            return text.to_string();
        };
        let mut lines: Vec<String> = Vec::new();
        let mut cur = String::new();
        for word in text.split_whitespace() {
            if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > w {
                lines.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        lines.push(cur);
        lines.join("\n")
    }

    fn paint_text(&self, text: String, color: Option<Color>) -> String {
        let code = match color {
            Some(Color::Green) => "32",
            Some(Color::Red) => "31",
            Some(Color::Yellow) => "33",
            Some(Color::Cyan) => "36",
            Some(Color::Magenta) => "35",
            Some(Color::Blue) => "34",
            _ => "",
        };
        if self.opts.color && !code.is_empty() {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text
        }
    }

    fn paint(&self, text: impl ToString, color: Option<Color>) -> Cell {
        let c = Cell::new(text);
        match (self.opts.color, color) {
            (true, Some(col)) => c.fg(col),
            _ => c,
        }
    }

    fn conn_state_color(cs: ConnState) -> Option<Color> {
        use ConnState::*;
        match cs {
            Sf => Some(Color::Green),
            S1 => None,
            Rej | Rsto | Rstr | Rstos0 | Rstrh => Some(Color::Red),
            _ => Some(Color::Yellow),
        }
    }

    fn state_color(s: State) -> Option<Color> {
        match s {
            State::SynSent | State::SynReceived | State::CloseWait => Some(Color::Yellow),
            State::Unknown => Some(Color::DarkGrey),
            _ => None,
        }
    }

    fn capture_table(&self, c: &CaptureResult) -> Table {
        let cap = &c.capture;
        let mut t = self.table();
        t.set_header(vec![Cell::new("Capture"), Cell::new(&cap.path)]);
        let s = &cap.stats;
        let format = if cap.gzip {
            format!("{} (gzip)", cap.format)
        } else {
            cap.format.to_string()
        };
        let links: Vec<String> = cap.link_types.iter().map(|l| l.to_string()).collect();
        let mut non_tcp = s.non_tcp.to_string();
        if s.ip_fragments > 0 {
            non_tcp.push_str(&format!(" ({} IP fragments)", s.ip_fragments));
        }
        let none = || "-".to_string();
        let duration = match (cap.first_ts, cap.last_ts) {
            (Some(a), Some(b)) => format_duration(b.since(a)),
            _ => none(),
        };
        let mut rows: Vec<(&str, String)> = vec![
            ("Format", format),
            ("Link types", links.join(", ")),
            ("Packets", s.packets.to_string()),
            ("TCP segments", s.tcp_segments.to_string()),
            ("Non-TCP", non_tcp),
            ("Truncated", s.truncated.to_string()),
            ("Undecodable", s.undecodable.to_string()),
            (
                "First packet",
                cap.first_ts.map_or_else(none, |t| t.to_string()),
            ),
            (
                "Last packet",
                cap.last_ts.map_or_else(none, |t| t.to_string()),
            ),
            ("Duration", duration),
            ("Connections", c.connections.to_string()),
        ];
        // Rows that only matter when something is wrong, after the packet counts.
        if s.duplicates > 0 {
            rows.insert(7, ("Duplicates", s.duplicates.to_string()));
        }
        if s.clock_anomalies > 0 {
            rows.insert(7, ("Clock anomalies", s.clock_anomalies.to_string()));
        }
        if !c.parts.is_empty() {
            let files: Vec<String> = c
                .parts
                .iter()
                .map(|p| format!("{} ({} packets)", p.path, p.stats.packets))
                .collect();
            rows.push(("Merged", files.join("\n")));
        }
        let merged = !c.parts.is_empty();
        for f in c.files() {
            let Some(d) = &f.damage else { continue };
            let what = if d.is_cut() {
                "no: ends mid-record"
            } else {
                "no: damaged"
            };
            let at = d
                .offset
                .map(|o| format!(" at byte {o}"))
                .unwrap_or_default();
            let file = if merged {
                format!("{}: ", f.path)
            } else {
                String::new()
            };
            rows.push(("Complete", format!("{file}{what}{at}")));
        }
        if c.retired > 0 {
            rows.push((
                "Retired early",
                format!(
                    "{} (over --max-connections {})",
                    c.retired, c.max_connections
                ),
            ));
        }
        for (k, v) in rows {
            t.add_row(vec![Cell::new(k), Cell::new(v)]);
        }
        t
    }

    fn summary_table(&self, s: &Summary) -> Table {
        let mut t = self.table();
        t.set_header(vec![Cell::new("Summary"), Cell::new("")]);
        let states: Vec<String> = ConnState::ALL
            .iter()
            .zip(s.conn_state)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let rows: [(&str, String); 8] = [
            ("Connections", s.connections.to_string()),
            (
                "conn_state",
                if states.is_empty() {
                    "-".into()
                } else {
                    states.join(" · ")
                },
            ),
            ("SYN retransmissions", s.syn_retransmissions.to_string()),
            (
                "SYN-ACK retransmissions",
                s.synack_retransmissions.to_string(),
            ),
            ("RST segments", s.rst_segments.to_string()),
            ("Half-open (SYN-RECEIVED)", s.half_open.to_string()),
            ("SYN unanswered", s.syn_unanswered.to_string()),
            ("Rejected by ICMP", s.rejected_icmp.to_string()),
        ];
        for (k, v) in rows {
            t.add_row(vec![Cell::new(k), Cell::new(v)]);
        }
        t
    }

    /// Final states: one row per originator state, one column per responder state.
    fn matrix_table(&self, s: &Summary) -> Option<Table> {
        let used = |side: usize| -> Vec<usize> {
            (0..State::ALL.len())
                .filter(|&i| s.final_state[side][i] > 0)
                .collect()
        };
        let (rows, cols) = (used(0), used(1));
        if rows.is_empty() {
            return None;
        }
        let mut t = self.table();
        let mut header = vec![Cell::new("orig ↓ / resp →")];
        header.extend(cols.iter().map(|&c| Cell::new(State::ALL[c].name())));
        t.set_header(header);
        for &r in &rows {
            let mut row = vec![Cell::new(State::ALL[r].name())];
            for &c in &cols {
                let n = s.matrix[r][c];
                let text = if n == 0 { String::new() } else { n.to_string() };
                row.push(Cell::new(text).set_alignment(CellAlignment::Right));
            }
            t.add_row(row);
        }
        Some(t)
    }

    fn time_wait_table(&self, s: &Summary) -> Option<Table> {
        if s.time_wait.is_empty() {
            return None;
        }
        let several = self.captures.len() > 1;
        let mut t = self.table();
        let mut header = vec!["TIME-WAIT held by", "Peak", "Peak at", "At end"];
        if several {
            header.push("Capture");
        }
        t.set_header(header);
        // The busiest hosts first; `--limit` of them unless `--all`.
        let mut rows: Vec<_> = s.time_wait.iter().collect();
        rows.sort_by_key(|r| (std::cmp::Reverse(r.holder.peak), r.capture, r.host));
        let limit = if self.opts.all {
            usize::MAX
        } else {
            self.opts.limit
        };
        let more = rows.len().saturating_sub(limit);
        for row in rows.into_iter().take(limit) {
            let h = row.holder;
            let mut cells = vec![
                Cell::new(row.host),
                Cell::new(h.peak).set_alignment(CellAlignment::Right),
                Cell::new(h.peak_ts.map_or_else(|| "-".into(), |t| t.to_string())),
                Cell::new(h.current).set_alignment(CellAlignment::Right),
            ];
            if several {
                cells.push(Cell::new(s.capture_of(row)));
            }
            t.add_row(cells);
        }
        if more > 0 {
            t.add_row(vec![Cell::new(format!(
                "{more} more host{} (--all shows every one)",
                if more == 1 { "" } else { "s" }
            ))]);
        }
        Some(t)
    }

    /// Sparklines over the captures' time: connections open, and TIME-WAIT held by the
    /// busiest hosts (five at most), on one time axis, 80 columns wide.
    fn over_time(&self, s: &Summary) -> Vec<String> {
        const BINS: usize = 40;
        let mut rows: Vec<(String, &Series, String)> = Vec::new();
        let open_peak = s
            .open
            .resampled(usize::MAX)
            .iter()
            .copied()
            .fold(0.0, f64::max);
        if open_peak > 0.0 {
            rows.push((
                "open connections (mean)".to_string(),
                &s.open,
                format!("peak {open_peak:.0}"),
            ));
        }
        let mut tw: Vec<&(usize, std::net::IpAddr, Series)> = s.time_wait_series.iter().collect();
        let peak_of = |c: usize, h: std::net::IpAddr| {
            s.time_wait
                .iter()
                .find(|r| r.capture == c && r.host == h)
                .map(|r| r.holder)
        };
        tw.sort_by_key(|(c, h, _)| {
            (
                std::cmp::Reverse(peak_of(*c, *h).map_or(0, |x| x.peak)),
                *c,
                *h,
            )
        });
        for (c, h, series) in tw.into_iter().take(5) {
            let peak = peak_of(*c, *h).map_or(0, |x| x.peak);
            if peak == 0 {
                continue;
            }
            rows.push((format!("TIME-WAIT {h}"), series, format!("peak {peak}")));
        }
        // One axis for all: from the earliest interval to the end of the latest.
        let bounds = rows.iter().filter_map(|(_, se, _)| {
            let p = se.points();
            let end = p.last()?.0.saturating_add(se.width());
            Some((p.first()?.0, end))
        });
        let Some((start, end)) = bounds.reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))) else {
            return Vec::new();
        };
        let span = end.since(start).as_secs_f64();
        if span <= 0.0 || rows.is_empty() {
            return Vec::new();
        }
        let mut out = vec![format!(
            "Over time: {} from {start}, {} a column",
            format_duration(end.since(start)),
            format_duration(end.since(start) / BINS as u32)
        )];
        for (label, se, note) in rows {
            let mut bins = vec![(0.0f64, 0u32); BINS];
            for (t, v) in se.points() {
                let i = ((t.since(start).as_secs_f64() / span) * BINS as f64) as usize;
                let b = &mut bins[i.min(BINS - 1)];
                match se.kind() {
                    Kind::Peak => b.0 = b.0.max(v),
                    _ => b.0 += v,
                }
                b.1 += 1;
            }
            let mut values: Vec<f64> = Vec::with_capacity(BINS);
            let mut carry = 0.0;
            for (v, n) in bins {
                let v = match (se.kind(), n) {
                    (Kind::Peak, 0) => carry,
                    (Kind::Mean, n) if n > 0 => v / f64::from(n),
                    _ => v,
                };
                carry = v;
                values.push(v);
            }
            // A label wider than its column (an IPv6 host) gets a line of its own: an address
            // is never cut.
            if label.chars().count() > 26 {
                out.push(format!("{label}, {note}"));
                out.push(format!("{:<26} {}", "", sparkline(&values)));
            } else {
                out.push(format!("{label:<26} {} {note}", sparkline(&values)));
            }
        }
        out.push(String::new());
        out
    }

    fn findings_table(&self) -> Option<Table> {
        if self.findings.is_empty() {
            return None;
        }
        let mut rows = self.findings.clone();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
        let mut t = self.table();
        t.set_header(vec!["Finding", "", "Severity", "Count", "First"]);
        for (code, name, sev, n, first) in rows {
            let color = match sev {
                Severity::Error => Some(Color::Red),
                Severity::Warning => Some(Color::Yellow),
                Severity::Info => None,
            };
            t.add_row(vec![
                Cell::new(code),
                Cell::new(name),
                self.paint(sev, color),
                Cell::new(n).set_alignment(CellAlignment::Right),
                Cell::new(first),
            ]);
        }
        Some(t)
    }

    /// The table, how many connections it shows, and whether one of them has an inferred state.
    /// The connections shown: troubled first, `--limit` of them unless `--all`.
    fn shown(&self) -> Vec<&ConnReport> {
        let limit = if self.opts.all {
            usize::MAX
        } else {
            self.opts.limit
        };
        let mut shown: Vec<&ConnReport> = self.troubled.iter().take(limit).collect();
        let room = limit.saturating_sub(shown.len());
        shown.extend(self.clean.iter().take(room));
        shown
    }

    fn connections_table(&self) -> Option<(Table, usize, bool)> {
        let shown = self.shown();
        if shown.is_empty() {
            return None;
        }
        let several = self.captures.len() > 1;
        let mut t = self.table();
        let mut header = vec![
            "ID",
            "orig → resp",
            "orig state",
            "resp state",
            "conn_state",
            "history",
            "handshake RTT",
            "SYN rtx",
            "RST",
            "findings",
        ];
        if several {
            header.push("Capture");
        }
        t.set_header(header);
        for c in &shown {
            let rst = c
                .rst
                .as_ref()
                .map_or_else(String::new, |r| format!("{} {}", r.by, r.kind));
            let mut cells = vec![
                Cell::new(c.id).set_alignment(CellAlignment::Right),
                Cell::new(format!("{} → {}", c.orig_ep, c.resp_ep)),
                self.paint(
                    state_label(c.orig_state, c.orig_state_inferred),
                    Self::state_color(c.orig_state),
                ),
                self.paint(
                    state_label(c.resp_state, c.resp_state_inferred),
                    Self::state_color(c.resp_state),
                ),
                self.paint(c.conn_state.name(), Self::conn_state_color(c.conn_state)),
                Cell::new(if c.history.is_empty() {
                    "-"
                } else {
                    &c.history
                }),
                Cell::new(c.handshake_rtt.map_or_else(|| "-".into(), format_duration))
                    .set_alignment(CellAlignment::Right),
                Cell::new(if c.syn_retransmits == 0 {
                    String::new()
                } else {
                    c.syn_retransmits.to_string()
                })
                .set_alignment(CellAlignment::Right),
                self.paint(rst, c.rst.as_ref().map(|_| Color::Red)),
                Cell::new(
                    c.findings
                        .iter()
                        .map(|f| f.code)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ];
            if several {
                cells.push(Cell::new(&c.capture));
            }
            t.add_row(cells);
        }
        let inferred = shown
            .iter()
            .any(|c| c.orig_state_inferred || c.resp_state_inferred);
        Some((t, shown.len(), inferred))
    }
}

/// A state as the table shows it: a trailing `?` when it rests only on segments sent to that side.
fn state_label(s: State, inferred: bool) -> String {
    if inferred {
        format!("{s}?")
    } else {
        s.to_string()
    }
}

/// Where a connection stands in the table: those with an error finding first, then those with
/// a warning, then the rest; within each, capture order, then id.
fn rank(c: &ConnReport, captures: &[String]) -> (u8, usize, u64) {
    let worst = c.findings.iter().map(|f| f.severity).max();
    let severity = match worst {
        Some(Severity::Error) => 0,
        Some(Severity::Warning) => 1,
        _ => 2,
    };
    // Connections of the capture being read sort after every capture already done.
    let cap = captures
        .iter()
        .position(|p| **p == *c.capture)
        .unwrap_or(captures.len());
    (severity, cap, c.id)
}

/// Keeps the `keep` connections that rank first, whatever order they end in: memory stays
/// bounded by `--limit`.
fn keep_first(list: &mut Vec<ConnReport>, conn: &ConnReport, keep: usize, captures: &[String]) {
    let rank = |c: &ConnReport| rank(c, captures);
    if list.len() < keep {
        list.push(conn.clone());
        return;
    }
    let Some((worst, _)) = list.iter().enumerate().max_by_key(|(_, c)| rank(c)) else {
        return;
    };
    if rank(conn) < rank(&list[worst]) {
        list[worst] = conn.clone();
    }
}

impl<W: Write> Emitter for TableEmitter<W> {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        match self.findings.iter_mut().find(|x| x.0 == f.code) {
            Some(row) => row.3 += 1,
            None => self
                .findings
                .push((f.code, f.name, f.severity, 1, f.message.clone())),
        }
        Ok(())
    }

    fn connection(&mut self, conn: &ConnReport) -> io::Result<()> {
        for f in &conn.findings {
            self.finding(f)?;
        }
        self.seen += 1;
        let keep = if self.opts.all {
            usize::MAX
        } else {
            self.opts.limit
        };
        let troubled = conn.troubled();
        self.seen_troubled += u64::from(troubled);
        let list = if troubled {
            &mut self.troubled
        } else {
            &mut self.clean
        };
        keep_first(list, conn, keep, &self.captures);
        Ok(())
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(e.clone());
        Ok(())
    }

    fn capture(&mut self, c: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        self.captures.push(c.capture.path.clone());
        let t = self.capture_table(c);
        writeln!(self.out, "{t}")
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let order = |v: &mut Vec<ConnReport>, captures: &[String]| {
            v.sort_by_key(|c| rank(c, captures));
        };
        order(&mut self.troubled, &self.captures);
        order(&mut self.clean, &self.captures);
        if !self.errors.is_empty() {
            writeln!(self.out, "{}", self.errors_table())?;
            if self.captures.is_empty() {
                writeln!(
                    self.out,
                    "No capture could be read: nothing to report (exit status 2)"
                )?;
                return self.out.flush();
            }
        }
        writeln!(self.out, "{}", self.summary_table(s))?;
        if let Some(m) = self.matrix_table(s) {
            writeln!(self.out, "Final states\n{m}")?;
        }
        if let Some(tw) = self.time_wait_table(s) {
            writeln!(self.out, "{tw}")?;
        }
        for line in self.over_time(s) {
            writeln!(self.out, "{line}")?;
        }
        if let Some(f) = self.findings_table() {
            writeln!(
                self.out,
                "{f}\n`synack explain CODE|S0|h|TIME-WAIT` says what any word of this report means"
            )?;
        }
        if let Some((t, shown, inferred)) = self.connections_table() {
            match self.opts.width.filter(|w| *w < FULL_WIDTH) {
                Some(w) => {
                    let list = self.connections_list(&self.shown(), w);
                    write!(self.out, "Connections, troubled first\n{list}")?;
                }
                None => writeln!(self.out, "Connections, troubled first\n{t}")?,
            }
            if inferred {
                let note = self.fit("? the state is inferred: that side sent nothing to show it got there, only segments sent to it did (a spoofed source, a silent peer)");
                writeln!(self.out, "{note}")?;
            }
            if (shown as u64) < self.seen {
                let note = self.fit(&format!(
                    "{shown} of {} connections shown ({} troubled); --all shows every one, --limit N more or fewer",
                    self.seen, self.seen_troubled
                ));
                writeln!(self.out, "{note}")?;
            }
        }
        if !self.errors.is_empty() {
            let n = self.errors.len();
            let text = self.fit(&format!(
                "Incomplete: {n} capture{} could not be read (the \"Not read\" table above); these figures cover only {}",
                if n == 1 { "" } else { "s" },
                self.captures.join(", ")
            ));
            let line = if self.opts.color {
                format!("\u{1b}[1;31m{text}\u{1b}[0m")
            } else {
                text
            };
            writeln!(self.out, "{line}")?;
        }
        self.out.flush()
    }
}
