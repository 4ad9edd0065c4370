//! `synack report --format html`: one self-contained page (styles, script and charts inline;
//! nothing fetched when it is opened). The capture and summary tables, the final-state matrix,
//! the findings grouped by rule with what each rule means, charts over capture time
//! (connections open by the originator's state over time, stacked; TIME-WAIT held by the busiest
//! hosts with each peak marked; SYN and SYN-ACK retransmissions, RSTs and ICMP rejections per
//! interval; the handshake round-trip distribution), and a connection table that sorts and
//! filters.
//!
//! Built while streaming, in bounded memory: the series are `crate::series` (256 intervals at
//! most, merged as the capture grows), the table keeps the first [`ROWS`] connections, troubled
//! first, and each rule its first [`EXAMPLES`] findings. maud writes the HTML (escaped by
//! construction, checked at compile time); plotters' SVG backend draws the charts.

mod charts;

use super::{ConnReport, Emitter, InputError, Summary};
use crate::analyze::CaptureResult;
use crate::findings::{self, Finding, Severity, Verdict};
use crate::series::{Kind, Series};
use crate::tcp::State;
use crate::time::{format_duration, Timestamp};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Connections the page's table holds at most (troubled ones first).
pub const ROWS: usize = 2000;
/// Findings of each rule shown in full (the rest counted).
pub const EXAMPLES: usize = 5;

struct CaptureRow {
    path: String,
    packets: u64,
    tcp: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    damage: Option<String>,
}

pub struct HtmlEmitter<W: Write> {
    out: W,
    troubled: Vec<ConnReport>,
    clean: Vec<ConnReport>,
    seen: u64,
    seen_troubled: u64,
    /// Per rule: how many, and the first few.
    rules: BTreeMap<&'static str, (u64, Vec<Finding>)>,
    captures: Vec<CaptureRow>,
    errors: Vec<InputError>,
    /// Connections open by the originator's final state (time-weighted).
    open: Vec<Series>,
    syn_rtx: Series,
    synack_rtx: Series,
    rsts: Series,
    icmp: Series,
    /// Handshake round trips, `[2^i, 2^(i+1))` µs.
    rtt: [u64; 32],
    /// The ladders drawn (id, SVG), of the first `limit` troubled connections.
    ladders: Vec<(u64, String)>,
    limit: usize,
    /// To replay a connection's segments for its ladder.
    tcp: crate::tcp::TcpConfig,
}

/// Segments kept of each connection for its ladder: the handshake, the close and some data.
pub const LADDER_SEGMENTS: usize = 64;

impl<W: Write> HtmlEmitter<W> {
    /// The page, with the ladders of the first `limit` troubled connections (their segments
    /// kept by a run with `TcpConfig::ladder_segments`, replayed with `tcp`).
    pub fn new(out: W, limit: usize, tcp: crate::tcp::TcpConfig) -> Self {
        HtmlEmitter {
            out,
            troubled: Vec::new(),
            clean: Vec::new(),
            seen: 0,
            seen_troubled: 0,
            rules: BTreeMap::new(),
            captures: Vec::new(),
            errors: Vec::new(),
            open: (0..State::ALL.len())
                .map(|_| Series::new(Kind::Mean))
                .collect(),
            syn_rtx: Series::new(Kind::Count),
            synack_rtx: Series::new(Kind::Count),
            rsts: Series::new(Kind::Count),
            icmp: Series::new(Kind::Count),
            rtt: [0; 32],
            ladders: Vec::new(),
            limit,
            tcp,
        }
    }

    fn note(&mut self, f: &Finding) {
        let e = self.rules.entry(f.code).or_default();
        e.0 += 1;
        if e.1.len() < EXAMPLES {
            e.1.push(f.clone());
        }
    }
}

fn state_idx(s: State) -> usize {
    State::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

impl<W: Write> Emitter for HtmlEmitter<W> {
    fn connection(&mut self, c: &ConnReport) -> io::Result<()> {
        for f in &c.findings {
            self.note(f);
        }
        self.seen += 1;
        // The originator's state over the connection's life, from its transitions (a run
        // for this page records them); without any, its final state throughout.
        let steps: Vec<(Timestamp, State)> = c
            .transitions
            .iter()
            .flatten()
            .filter(|t| t.side == "orig")
            .map(|t| (t.ts, t.to))
            .collect();
        if steps.is_empty() {
            self.open[state_idx(c.orig_state)].span(c.first_ts, c.last_ts, 1.0);
        }
        for (i, (from, state)) in steps.iter().enumerate() {
            let to = steps.get(i + 1).map_or(c.last_ts, |n| n.0).max(*from);
            self.open[state_idx(*state)].span(*from, to, 1.0);
        }
        for t in &c.retransmitted_at[0] {
            self.syn_rtx.count(*t, 1.0);
        }
        for t in &c.retransmitted_at[1] {
            self.synack_rtx.count(*t, 1.0);
        }
        if c.rst_segments > 0 {
            self.rsts.count(c.last_ts, f64::from(c.rst_segments));
        }
        if c.rejected_icmp {
            self.icmp.count(c.last_ts, 1.0);
        }
        if let Some(rtt) = c.handshake_rtt {
            let us = rtt.as_micros().max(1);
            let i = (127 - us.leading_zeros()) as usize;
            self.rtt[i.min(31)] += 1;
        }
        let troubled = c.troubled();
        self.seen_troubled += u64::from(troubled);
        if let Some(log) = c
            .ladder
            .as_deref()
            .filter(|_| self.ladders.len() < self.limit)
        {
            if let Some(f) = crate::analyze::replay(log, self.tcp) {
                let ladder = super::show::Ladder::new(&c.capture, &f, c.findings.clone());
                let svg = super::show::svg(&ladder);
                // Inline: without the XML declaration.
                let svg = svg
                    .find("<svg")
                    .map_or(svg.clone(), |i| svg[i..].to_string());
                self.ladders.push((c.id, svg));
            }
        }
        if troubled && self.troubled.len() < ROWS {
            self.troubled.push(c.clone());
        } else if !troubled && self.troubled.len() + self.clean.len() < ROWS {
            self.clean.push(c.clone());
        }
        // Troubled ones come first: a clean one gives way.
        if self.troubled.len() + self.clean.len() > ROWS {
            self.clean.pop();
        }
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.note(f);
        Ok(())
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(e.clone());
        Ok(())
    }

    fn capture(&mut self, c: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        self.captures.push(CaptureRow {
            path: c.capture.path.clone(),
            packets: c.capture.stats.packets,
            tcp: c.capture.stats.tcp_segments,
            first: c.capture.first_ts,
            last: c.capture.last_ts,
            damage: c.capture.damage.as_ref().map(|d| d.to_string()),
        });
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let page = self.page(s);
        self.out.write_all(page.into_string().as_bytes())?;
        self.out.flush()
    }
}

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2em; color: #212121; max-width: 1200px }
h1 { font-size: 1.5em } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd }
table { border-collapse: collapse; font-size: 0.9em } td, th { border: 1px solid #ddd; padding: 2px 6px }
th { background: #f5f5f5; text-align: left } td.n { text-align: right; font-variant-numeric: tabular-nums }
.error { color: #b71c1c } .warning { color: #e65100 } .info { color: #1565c0 }
details { margin: 0.5em 0 } summary { cursor: pointer } pre { white-space: pre-wrap; font-size: 0.9em }
#conns th { cursor: pointer; user-select: none } #conns th.sorted-asc::after { content: " ▲" }
#conns th.sorted-desc::after { content: " ▼" } .chart svg { max-width: 100%; height: auto }
.failed { background: #ffebee; border: 1px solid #b71c1c; padding: 0.5em }
"#;

/// Sorting and filtering of the connection table; the view (`#sort=COLUMN:asc&filter=TEXT`) is
/// kept in the address, so a link opens the same view.
const SCRIPT: &str = r#"
(function () {
  const table = document.getElementById('conns');
  if (!table) return;
  const body = table.tBodies[0];
  const heads = Array.from(table.tHead.rows[0].cells);
  const filter = document.getElementById('filter');
  const count = document.getElementById('shown');
  let sort = null;
  function key(row, i) {
    const c = row.cells[i];
    const v = c.dataset.v !== undefined ? c.dataset.v : c.textContent;
    const n = parseFloat(v);
    return isNaN(n) || c.dataset.v === undefined ? v : n;
  }
  function apply() {
    const rows = Array.from(body.rows);
    if (sort) {
      rows.sort(function (a, b) {
        const x = key(a, sort.i), y = key(b, sort.i);
        const r = x < y ? -1 : x > y ? 1 : 0;
        return sort.asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    rows.forEach(function (r) {
      const hit = !q || r.textContent.toLowerCase().includes(q);
      r.hidden = !hit;
      if (hit) shown++;
    });
    count.textContent = shown;
    heads.forEach(function (h, i) {
      h.classList.toggle('sorted-asc', !!sort && sort.i === i && sort.asc);
      h.classList.toggle('sorted-desc', !!sort && sort.i === i && !sort.asc);
    });
    const parts = [];
    if (sort) parts.push('sort=' + encodeURIComponent(heads[sort.i].dataset.col) + ':' + (sort.asc ? 'asc' : 'desc'));
    if (q) parts.push('filter=' + encodeURIComponent(q));
    history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname);
  }
  heads.forEach(function (h, i) {
    h.addEventListener('click', function () {
      sort = { i: i, asc: !(sort && sort.i === i && sort.asc) };
      apply();
    });
  });
  filter.addEventListener('input', apply);
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('filter')) filter.value = params.get('filter');
  const s = params.get('sort');
  if (s) {
    const [col, dir] = s.split(':');
    const i = heads.findIndex(function (h) { return h.dataset.col === col; });
    if (i >= 0) sort = { i: i, asc: dir !== 'desc' };
  }
  apply();
  document.body.dataset.ready = 'yes';
})();
"#;

fn sev_class(s: Severity) -> &'static str {
    s.name()
}

impl<W: Write> HtmlEmitter<W> {
    fn page(&mut self, s: &Summary) -> Markup {
        let title = match self.captures.as_slice() {
            [one] => format!("synack: {}", one.path),
            many => format!("synack: {} captures", many.len()),
        };
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 { (title) }
                    @if !self.errors.is_empty() {
                        div.failed id="errors" {
                            strong { "Incomplete: these captures could not be read whole" }
                            ul { @for e in &self.errors { li { (e.path) @if let Some(o) = e.offset { " at byte " (o) } ": " (e.message) } } }
                        }
                    }
                    @if self.captures.is_empty() {
                        p id="nothing-read" { "No capture could be read: nothing to report (exit status 2)." }
                    } @else {
                        (self.captures_table())
                        (summary_table(s))
                        (matrix(s))
                        (self.charts(s))
                        (self.findings())
                        (self.ladders())
                        (self.connections())
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
    }

    fn captures_table(&self) -> Markup {
        html! {
            h2 { "Captures" }
            table id="captures" {
                thead { tr { th { "Capture" } th { "Packets" } th { "TCP segments" } th { "First" } th { "Last" } th { "Damage" } } }
                tbody {
                    @for c in &self.captures {
                        tr {
                            td { (c.path) } td.n { (c.packets) } td.n { (c.tcp) }
                            td { (c.first.map(|t| t.to_string()).unwrap_or_default()) }
                            td { (c.last.map(|t| t.to_string()).unwrap_or_default()) }
                            td { (c.damage.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }

    /// The earliest and latest time of any chart.
    fn span(&self, s: &Summary) -> Option<(Timestamp, Timestamp)> {
        let firsts = self.captures.iter().filter_map(|c| c.first);
        let lasts = self.captures.iter().filter_map(|c| c.last);
        let _ = s;
        Some((firsts.min()?, lasts.max()?))
    }

    fn charts(&self, s: &Summary) -> Markup {
        let Some((t0, t1)) = self.span(s) else {
            return html! {};
        };
        let layers: Vec<(String, &Series)> = State::ALL
            .iter()
            .zip(&self.open)
            .filter(|(_, se)| se.points().iter().any(|p| p.1 > 0.0))
            .map(|(st, se)| (st.name().to_string(), se))
            .collect();
        let mut tw: Vec<(String, &Series, f64, Option<Timestamp>)> = Vec::new();
        for (cap, host, se) in s.time_wait_series.iter() {
            if let Some(row) = s
                .time_wait
                .iter()
                .find(|r| r.capture == *cap && r.host == *host)
            {
                tw.push((
                    host.to_string(),
                    se,
                    row.holder.peak as f64,
                    row.holder.peak_ts,
                ));
            }
        }
        tw.sort_by(|a, b| b.2.total_cmp(&a.2));
        tw.truncate(5);
        html! {
            h2 { "Over capture time" }
            div.chart id="chart-open" data-series=(layers.len()) {
                (PreEscaped(charts::stacked("Connections open, by the originator's state (time-weighted)", &layers, t0, t1)))
            }
            @if !tw.is_empty() {
                div.chart id="chart-time-wait" data-series=(tw.len()) {
                    (PreEscaped(charts::lines("TIME-WAIT held, the busiest hosts (peak marked)", &tw, t0, t1)))
                }
            }
            @if [&self.syn_rtx, &self.synack_rtx, &self.rsts, &self.icmp].iter().all(|se| se.points().iter().all(|p| p.1 == 0.0)) {
                p id="no-trouble" { "No SYN or SYN-ACK retransmission, RST or ICMP rejection." }
            } @else {
            div.chart id="chart-trouble" data-series="4" {
                (PreEscaped(charts::bars(
                    "SYN and SYN-ACK retransmissions, RSTs, ICMP rejections",
                    &[
                        ("SYN retransmissions".to_string(), &self.syn_rtx),
                        ("SYN-ACK retransmissions".to_string(), &self.synack_rtx),
                        ("RST segments".to_string(), &self.rsts),
                        ("ICMP rejections".to_string(), &self.icmp),
                    ],
                    t0,
                    t1,
                )))
            }
            }
            @if self.rtt.iter().any(|n| *n > 0) {
                div.chart id="chart-rtt" data-series="1" {
                    (PreEscaped(charts::rtt_histogram(&self.rtt)))
                }
            }
        }
    }

    fn findings(&self) -> Markup {
        html! {
            h2 { "Findings" }
            @if self.rules.is_empty() {
                p id="no-findings" { "No finding." }
            }
            @for (code, (n, examples)) in &self.rules {
                @let rule = findings::rule(code);
                @let sev = examples.first().map(|f| f.severity).unwrap_or(Severity::Info);
                details.finding id=(format!("rule-{code}")) {
                    summary {
                        span class=(sev_class(sev)) { (code) " " (rule.map(|r| r.name).unwrap_or("")) " [" (sev.name()) "]" }
                        " × " (n)
                    }
                    @if let Some(r) = rule { pre { (r.explain_text()) } }
                    ul {
                        @for f in examples {
                            li {
                                @if let Some(c) = f.connection { "connection " (c) ": " }
                                (f.message)
                            }
                        }
                        @if *n > examples.len() as u64 { li { "… and " (*n - examples.len() as u64) " more" } }
                    }
                }
            }
        }
    }

    fn ladders(&self) -> Markup {
        html! {
            @if !self.ladders.is_empty() {
                h2 { "Troubled connections, segment by segment" }
                p { "The first " (self.ladders.len()) " troubled connections (--limit), each as "
                    code { "synack show CAPTURE --conn ID" } " draws it (its first "
                    (LADDER_SEGMENTS) " segments)." }
                @for (id, svg) in &self.ladders {
                    details.ladder id=(format!("ladder-{id}")) open[self.ladders.len() <= 3] {
                        summary { "connection " (id) }
                        div.chart { (PreEscaped(svg)) }
                    }
                }
            }
        }
    }

    fn connections(&mut self) -> Markup {
        let rows: Vec<&ConnReport> = self.troubled.iter().chain(self.clean.iter()).collect();
        html! {
            h2 { "Connections" }
            p {
                "Filter: " input id="filter" type="search" placeholder="address, state, code…";
                " " span id="shown" { (rows.len()) } " shown of " (rows.len())
                " kept (" (self.seen) " connections, " (self.seen_troubled) " troubled; the page keeps the first "
                (ROWS) ", troubled first). Click a column to sort."
            }
            table id="conns" {
                thead { tr {
                    th data-col="id" { "ID" } th data-col="orig" { "Originator" } th data-col="resp" { "Responder" }
                    th data-col="orig_state" { "orig state" } th data-col="resp_state" { "resp state" }
                    th data-col="conn_state" { "conn_state" } th data-col="history" { "history" }
                    th data-col="rtt" { "handshake RTT" } th data-col="syn_rtx" { "SYN rtx" }
                    th data-col="duration" { "duration" } th data-col="findings" { "findings" }
                } }
                tbody {
                    @for c in &rows {
                        tr {
                            td.n data-v=(c.id) { (c.id) }
                            td { (c.orig_ep) } td { (c.resp_ep) }
                            td { (c.orig_state) @if c.orig_state_inferred { "?" } }
                            td { (c.resp_state) @if c.resp_state_inferred { "?" } }
                            td { (c.conn_state.name()) } td { (c.history) }
                            td.n data-v=(c.handshake_rtt.map_or(-1.0, |d| d.as_secs_f64())) {
                                (c.handshake_rtt.map_or_else(String::new, format_duration))
                            }
                            td.n data-v=(c.syn_retransmits) { (c.syn_retransmits) }
                            td.n data-v=(c.last_ts.since(c.first_ts).as_secs_f64()) { (format_duration(c.last_ts.since(c.first_ts))) }
                            td { @for f in &c.findings { span class=(sev_class(f.severity)) { (f.code) } " " } }
                        }
                    }
                }
            }
        }
    }
}

fn summary_table(s: &Summary) -> Markup {
    let rows: [(&str, u64); 8] = [
        ("Connections", s.connections),
        ("SYN retransmissions", s.syn_retransmissions),
        ("SYN-ACK retransmissions", s.synack_retransmissions),
        ("RST segments", s.rst_segments),
        ("Half-open (responder left in SYN-RECEIVED)", s.half_open),
        ("SYNs unanswered", s.syn_unanswered),
        ("Rejected by ICMP", s.rejected_icmp),
        ("Hosts holding TIME-WAIT", s.time_wait.len() as u64),
    ];
    html! {
        h2 { "Summary" }
        table id="summary" { tbody { @for (k, v) in rows { tr { th { (k) } td.n { (v) } } } } }
    }
}

fn matrix(s: &Summary) -> Markup {
    let used = |i: usize| s.matrix[i].iter().any(|n| *n > 0) || s.matrix.iter().any(|r| r[i] > 0);
    let states: Vec<usize> = (0..State::ALL.len()).filter(|i| used(*i)).collect();
    html! {
        h2 { "Final states (originator ↓, responder →)" }
        table id="matrix" {
            thead { tr { th {} @for j in &states { th { (State::ALL[*j].name()) } } } }
            tbody {
                @for i in &states {
                    @if s.matrix[*i].iter().any(|n| *n > 0) {
                        tr {
                            th { (State::ALL[*i].name()) }
                            @for j in &states { td.n { @if s.matrix[*i][*j] > 0 { (s.matrix[*i][*j]) } } }
                        }
                    }
                }
            }
        }
    }
}
