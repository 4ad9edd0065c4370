//! Zeek's view of a TCP connection: `conn_state`, `history`, packet, byte and gap counts,
//! computed from the same segments with Zeek's own endpoint machine (INACTIVE, SYN_SENT,
//! SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET), its relative sequence numbers and its
//! history rules. docs/zeek-rules.md quotes the Zeek code each rule here comes from.
//!
//! Zeek splits and times out connections by its own rules; synack keeps its own connection
//! boundaries (a retransmitted SYN never splits a connection) and computes Zeek's fields within
//! them. Known differences are listed in docs/zeek.md.
//!
//! Not emitted: `C` (synack does not verify checksums, like `zeek -C`); `x`. Gaps (`G`,
//! `missed_bytes`) are found with a small reassembly model that keeps up to [`MAX_BLOCKS`]
//! out-of-order ranges per side.

use crate::decode::TcpSegment;
use crate::time::Timestamp;

/// Zeek's endpoint states (`TCP_Endpoint.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZState {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;
/// Out-of-order ranges remembered per side for gap detection.
pub const MAX_BLOCKS: usize = 4;
/// `tcp_max_above_hole_without_any_acks`.
const MAX_ABOVE_HOLE_WITHOUT_ACKS: u64 = 16_384;

const HIST_SYN: u32 = 0x1;
const HIST_FIN: u32 = 0x2;
const HIST_RST: u32 = 0x4;
const HIST_FIN_RST: u32 = 0x8;
const HIST_DATA: u32 = 0x10;
const HIST_ACK: u32 = 0x20;
const HIST_MULTI_FLAG: u32 = 0x40;

/// Longest history kept; Zeek's grows without bound, real ones stay far below this.
pub const MAX_HISTORY: usize = 40;

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// A counter that adds its letter at the 1st, 10th, 100th... event (`ScaledHistoryEntry`).
#[derive(Clone, Copy, Debug)]
struct Scaled {
    count: u32,
    threshold: u32,
}

impl Scaled {
    const NEW: Scaled = Scaled {
        count: 0,
        threshold: 1,
    };
    fn hit(&mut self) -> bool {
        self.count = self.count.wrapping_add(1);
        if self.count != self.threshold {
            return false;
        }
        match self.threshold.checked_mul(10) {
            Some(t) => self.threshold = t,
            None => self.count = 0,
        }
        true
    }
}

/// One endpoint as Zeek tracks it (`TCP_Endpoint` and its reassembler).
#[derive(Clone, Debug)]
struct Endp {
    state: ZState,
    prev_state: ZState,
    /// Zeek's role for this host right now.
    is_orig: bool,
    start_seq: i64,
    last_seq: u32,
    seq_wraps: u32,
    ack_seq: u32,
    ack_wraps: u32,
    hist_last_syn: u64,
    hist_last_fin: u64,
    hist_last_rst: u64,
    fin_cnt: u32,
    fin_seq: u64,
    did_close: bool,
    rxmt: Scaled,
    win0: Scaled,
    gap: Scaled,
    pkts: u64,
    ip_bytes: u64,
    // Reassembly, in relative sequence space.
    last_reassem_seq: u64,
    trim_seq: u64,
    blocks: Blocks,
    skip_deliveries: bool,
}

impl Endp {
    fn new(is_orig: bool) -> Self {
        Endp {
            state: ZState::Inactive,
            prev_state: ZState::Inactive,
            is_orig,
            start_seq: 0,
            last_seq: 0,
            seq_wraps: 0,
            ack_seq: 0,
            ack_wraps: 0,
            hist_last_syn: 0,
            hist_last_fin: 0,
            hist_last_rst: 0,
            fin_cnt: 0,
            fin_seq: 0,
            did_close: false,
            rxmt: Scaled::NEW,
            win0: Scaled::NEW,
            gap: Scaled::NEW,
            pkts: 0,
            ip_bytes: 0,
            last_reassem_seq: 1,
            trim_seq: 1,
            blocks: Blocks::default(),
            skip_deliveries: false,
        }
    }

    fn set_state(&mut self, s: ZState) {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
        }
    }

    fn start_seq_u32(&self) -> u32 {
        self.start_seq as u32
    }

    fn init_start(&mut self, seq: u32) {
        self.start_seq = i64::from(seq);
    }

    fn update_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps = self.seq_wraps.wrapping_add(1);
        }
        self.last_seq = seq;
    }

    fn update_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps = self.ack_wraps.wrapping_add(1);
        }
        self.ack_seq = seq;
    }

    fn full(seq: u32, wraps: u32) -> u64 {
        (u64::from(wraps) << 32).wrapping_add(u64::from(seq))
    }

    /// `get_relative_seq`: `cur` relative to the start, tracking 32-bit wraps against `last`.
    fn relative(&self, cur: u32, last: u32, mut wraps: u32, underflow: &mut bool) -> u64 {
        let delta = seq_delta(cur, last);
        if delta < 0 {
            if wraps > 0 && cur > last {
                wraps -= 1;
            }
        } else if delta > 0 && cur < last {
            wraps = wraps.wrapping_add(1);
        }
        if wraps == 0 {
            let d = seq_delta(cur, self.start_seq_u32());
            if d < 0 {
                *underflow = true;
            }
            return i64::from(d) as u64;
        }
        Self::full(cur, wraps).wrapping_sub(self.start_seq as u64)
    }

    fn no_data_acked(&self) -> bool {
        let ack = Self::full(self.ack_seq, self.ack_wraps) as i64;
        ack == self.start_seq || ack == self.start_seq.wrapping_add(1)
    }

    /// `TCP_Endpoint::Size()`: bytes of sequence space used, from the highest sequence number
    /// sent or acknowledged, without the SYN and FIN octets.
    fn size(&self, peer_state: ZState) -> u64 {
        if self.prev_state == ZState::SynSent
            && self.state == ZState::Reset
            && peer_state == ZState::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let last = Self::full(self.last_seq, self.seq_wraps);
        let ack = Self::full(self.ack_seq, self.ack_wraps);
        // The SYN octet, then the FIN octet, are not data.
        let size = last
            .max(ack)
            .wrapping_sub(self.start_seq as u64)
            .saturating_sub(1);
        if self.fin_cnt > 0 {
            size.saturating_sub(1)
        } else {
            size
        }
    }

    fn undelivered_bytes(&self) -> u64 {
        self.blocks
            .slice()
            .iter()
            .map(|(s, e)| e.saturating_sub(*s))
            .sum()
    }

    /// `Reassembler::NewBlock` for fully captured payload at relative `seq`.
    fn data_sent(&mut self, seq: u64, len: u64) {
        let mut start = seq.max(self.trim_seq);
        let end = seq.saturating_add(len);
        if end <= start || self.skip_deliveries {
            return;
        }
        if start <= self.last_reassem_seq {
            start = self.last_reassem_seq;
            if end > start {
                self.last_reassem_seq = end;
                self.deliver_contiguous();
            }
        } else {
            self.insert_block(start, end);
        }
        if self.no_data_acked() && self.undelivered_bytes() > MAX_ABOVE_HOLE_WITHOUT_ACKS {
            self.blocks.clear();
            self.skip_deliveries = true;
        }
    }

    fn insert_block(&mut self, start: u64, end: u64) {
        let (mut s, mut e) = (start, end);
        let mut kept = [(0u64, 0u64); MAX_BLOCKS];
        let mut n = 0;
        for &(bs, be) in self.blocks.slice() {
            if be < s || bs > e {
                if n < MAX_BLOCKS {
                    kept[n] = (bs, be);
                    n += 1;
                }
            } else {
                s = s.min(bs);
                e = e.max(be);
            }
        }
        if n < MAX_BLOCKS {
            kept[n] = (s, e);
            n += 1;
        }
        kept[..n].sort_unstable();
        self.blocks.set(&kept[..n]);
    }

    fn deliver_contiguous(&mut self) {
        loop {
            let mut advanced = false;
            let last = &mut self.last_reassem_seq;
            self.blocks.retain_map(|(bs, be)| {
                if bs <= *last {
                    if be > *last {
                        *last = be;
                        advanced = true;
                    }
                    None
                } else {
                    Some((bs, be))
                }
            });
            if !advanced {
                break;
            }
        }
    }
}

/// The reassembler's blocks above a hole: most connections never have one, so the list lives
/// in a box only while it holds a block (an endpoint is 72 bytes smaller for it).
#[derive(Clone, Debug, Default)]
struct Blocks(Option<Box<BlockList>>);

/// Up to [`MAX_BLOCKS`] `(start, end)` ranges, and how many are in use.
type BlockList = ([(u64, u64); MAX_BLOCKS], usize);

impl Blocks {
    fn slice(&self) -> &[(u64, u64)] {
        self.0.as_deref().map_or(&[], |(b, n)| &b[..*n])
    }

    fn copied(&self) -> ([(u64, u64); MAX_BLOCKS], usize) {
        self.0
            .as_deref()
            .copied()
            .unwrap_or(([(0, 0); MAX_BLOCKS], 0))
    }

    fn clear(&mut self) {
        self.0 = None;
    }

    /// Replaces the blocks with `kept` (at most [`MAX_BLOCKS`]).
    fn set(&mut self, kept: &[(u64, u64)]) {
        if kept.is_empty() {
            self.0 = None;
            return;
        }
        let (b, n) = &mut **self
            .0
            .get_or_insert_with(|| Box::new(([(0, 0); MAX_BLOCKS], 0)));
        b[..kept.len()].copy_from_slice(kept);
        *n = kept.len();
    }

    /// Keeps, in order, what `f` maps each block to.
    fn retain_map(&mut self, mut f: impl FnMut((u64, u64)) -> Option<(u64, u64)>) {
        let (kept, n) = {
            let mut kept = [(0u64, 0u64); MAX_BLOCKS];
            let mut n = 0;
            for &b in self.slice() {
                if let Some(b) = f(b) {
                    kept[n] = b;
                    n += 1;
                }
            }
            (kept, n)
        };
        self.set(&kept[..n]);
    }
}

/// A bounded history string.
#[derive(Clone, Copy, Debug)]
struct History {
    buf: [u8; MAX_HISTORY],
    len: usize,
}

impl History {
    fn push(&mut self, c: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = c;
            self.len += 1;
        }
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
    fn set(&mut self, s: &str) {
        self.len = 0;
        for b in s.bytes() {
            self.push(b);
        }
    }
}

/// Zeek's `likely_server_ports` with its default scripts loaded (base/protocols/*).
pub fn likely_server_port(port: u16) -> bool {
    matches!(
        port,
        21 | 22
            | 25
            | 53
            | 80
            | 81
            | 88
            | 110
            | 135
            | 139
            | 143
            | 389
            | 443
            | 445
            | 502
            | 563
            | 585
            | 587
            | 614
            | 631
            | 636
            | 989
            | 990
            | 992
            | 993
            | 995
            | 1080
            | 1434
            | 1883
            | 2811
            | 3128
            | 3268
            | 3306
            | 3389
            | 5222
            | 5223
            | 5269
            | 5432
            | 6379
            | 6666..=6669 | 8000 | 8080 | 8888 | 20000
    )
}

/// Whether Zeek flips the roles of a connection whose first packet goes from `src` to `dst`
/// (`TCPAnalyzer::WantConnection`): never for a pure SYN; otherwise when the source port is a
/// likely server port and the destination is not, or both are, the packet has no SYN and the
/// source port is lower.
pub fn zeek_flips_first_packet(seg: &TcpSegment) -> bool {
    let f = seg.flags;
    if f.syn() && !f.ack() {
        return false;
    }
    let (sp, dp) = (seg.src.port, seg.dst.port);
    if !likely_server_port(sp) {
        return false;
    }
    if likely_server_port(dp) {
        !f.syn() && sp < dp
    } else {
        true
    }
}

/// Zeek's bookkeeping for one connection. Endpoints are indexed by host: 0 is the host synack
/// calls the originator, 1 the responder; `zeek_orig` says which of them Zeek calls orig.
#[derive(Clone, Debug)]
pub struct ZeekConn {
    ep: [Endp; 2],
    zeek_orig: usize,
    history: History,
    hist_seen: u32,
    start_time: Timestamp,
    last_time: Timestamp,
    is_partial: bool,
    missed_bytes: u64,
}

/// Zeek's `conn_state` (base/protocols/conn/main.zeek), in the order reports list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConnState {
    Sf,
    S0,
    S1,
    Rej,
    S2,
    S3,
    Rsto,
    Rstr,
    Rstos0,
    Rstrh,
    Sh,
    Shr,
    Oth,
}

impl ConnState {
    pub const ALL: [ConnState; 13] = [
        ConnState::Sf,
        ConnState::S0,
        ConnState::S1,
        ConnState::Rej,
        ConnState::S2,
        ConnState::S3,
        ConnState::Rsto,
        ConnState::Rstr,
        ConnState::Rstos0,
        ConnState::Rstrh,
        ConnState::Sh,
        ConnState::Shr,
        ConnState::Oth,
    ];

    /// As Zeek writes it: `SF`, `S0`, `RSTOS0`...
    pub fn name(self) -> &'static str {
        match self {
            ConnState::Sf => "SF",
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::Rej => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::Rsto => "RSTO",
            ConnState::Rstr => "RSTR",
            ConnState::Rstos0 => "RSTOS0",
            ConnState::Rstrh => "RSTRH",
            ConnState::Sh => "SH",
            ConnState::Shr => "SHR",
            ConnState::Oth => "OTH",
        }
    }

    /// A conn_state code, in any case.
    pub fn parse(s: &str) -> Option<ConnState> {
        ConnState::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
    }

    /// The connection was established and closed normally, or is still open: not trouble.
    pub fn is_clean(self) -> bool {
        matches!(self, ConnState::Sf | ConnState::S1)
    }
}

impl std::fmt::Display for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl PartialEq<&str> for ConnState {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// The conn.log fields synack computes, with Zeek's orig/resp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeekFields {
    pub conn_state: ConnState,
    pub history: String,
    /// Zeek's originator is synack's responder.
    pub flipped: bool,
    pub duration: Option<std::time::Duration>,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub missed_bytes: u64,
    pub orig_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_pkts: u64,
    pub resp_ip_bytes: u64,
}

impl ZeekConn {
    /// Zeek's view of a connection whose first segment is `first`, sent by host `first_from`
    /// (0 = synack's originator).
    pub fn new(first: &TcpSegment, first_from: usize) -> Self {
        let flip = zeek_flips_first_packet(first);
        // Zeek's orig is the first packet's source, unless the port heuristic flips it.
        let zeek_orig = if flip { 1 - first_from } else { first_from };
        let mut z = ZeekConn {
            ep: [Endp::new(zeek_orig == 0), Endp::new(zeek_orig == 1)],
            zeek_orig,
            history: History {
                buf: [0; MAX_HISTORY],
                len: 0,
            },
            hist_seen: 0,
            start_time: first.ts,
            last_time: first.ts,
            is_partial: false,
            missed_bytes: 0,
        };
        if flip {
            z.history.push(b'^');
        }
        let f = first.flags;
        let from_orig = first_from == zeek_orig;
        z.is_partial = if from_orig {
            !f.syn() || f.ack()
        } else {
            !f.syn()
        };
        z
    }

    fn flip_roles(&mut self) {
        self.zeek_orig = 1 - self.zeek_orig;
        self.ep[0].is_orig = !self.ep[0].is_orig;
        self.ep[1].is_orig = !self.ep[1].is_orig;
        self.is_partial = false;
        self.history.push(b'^');
    }

    /// `Connection::CheckHistory` via `TCP_Endpoint::CheckHistory`: records `code` once per
    /// direction; returns whether it had been seen already.
    fn check_history(&mut self, e: usize, mut mask: u32, code: u8) -> bool {
        if (code == b'A' || code == b'D') && self.history.as_str() == "H" {
            self.flip_roles();
            self.history.set("^h");
        }
        let mut code = code;
        if !self.ep[e].is_orig {
            mask <<= 16;
            code = code.to_ascii_lowercase();
        }
        if self.hist_seen & mask == 0 {
            self.hist_seen |= mask;
            self.history.push(code);
            false
        } else {
            true
        }
    }

    fn add_history(&mut self, e: usize, code: u8) {
        let c = if self.ep[e].is_orig {
            code
        } else {
            code.to_ascii_lowercase()
        };
        self.history.push(c);
    }

    fn update_history(&mut self, seg: &TcpSegment, e: usize, rel_seq: u64, len: u64) {
        let f = seg.flags;
        let bits = u8::from(f.syn()) + u8::from(f.fin()) + u8::from(f.rst());
        if bits > 1 {
            if f.fin() && f.rst() {
                self.check_history(e, HIST_FIN_RST, b'I');
            } else {
                self.check_history(e, HIST_MULTI_FLAG, b'Q');
            }
        } else if bits == 1 {
            if f.syn() {
                let code = if f.ack() { b'H' } else { b'S' };
                if self.check_history(e, HIST_SYN, code) && rel_seq != self.ep[e].hist_last_syn {
                    self.add_history(e, code);
                }
                self.ep[e].hist_last_syn = rel_seq;
            }
            if f.fin() {
                let at = rel_seq.wrapping_add(len);
                if self.check_history(e, HIST_FIN, b'F') && at != self.ep[e].hist_last_fin {
                    self.add_history(e, b'F');
                }
                self.ep[e].hist_last_fin = at;
            }
            if f.rst() {
                if self.check_history(e, HIST_RST, b'R') && rel_seq != self.ep[e].hist_last_rst {
                    self.add_history(e, b'R');
                }
                self.ep[e].hist_last_rst = rel_seq;
            }
        } else if len > 0 {
            self.check_history(e, HIST_DATA, b'D');
        } else if f.ack() {
            self.check_history(e, HIST_ACK, b'A');
        }
    }

    /// `init_endpoint`.
    fn init_endpoint(&mut self, e: usize, seg: &TcpSegment, first: u32, mut last: u32) {
        let syn = seg.flags.syn();
        let ep = &mut self.ep[e];
        match ep.state {
            ZState::Inactive => {
                if syn {
                    ep.ack_seq = first;
                    ep.init_start(first);
                } else {
                    ep.ack_seq = first.wrapping_sub(1);
                    ep.init_start(first.wrapping_sub(1));
                    last = first;
                }
                ep.last_seq = last;
            }
            ZState::SynSent | ZState::SynAckSent => {
                if syn && first != ep.start_seq_u32() {
                    ep.init_start(first);
                    ep.ack_seq = first;
                    ep.last_seq = last;
                }
            }
            ZState::Established | ZState::Partial => {
                if syn {
                    ep.init_start(first);
                    ep.ack_seq = first;
                    ep.last_seq = last;
                }
            }
            ZState::Reset => {
                if syn && ep.prev_state == ZState::Inactive {
                    ep.init_start(first);
                    ep.ack_seq = first;
                    ep.last_seq = last;
                }
            }
            ZState::Closed => {}
        }
    }

    /// `update_last_seq`: advances the highest sequence end, or counts a retransmission (`T`).
    fn update_last_seq(&mut self, e: usize, seg: &TcpSegment, last: u32, len: u64) {
        let f = seg.flags;
        let ep = &self.ep[e];
        let delta = seq_delta(last, ep.last_seq);
        if (f.syn() || f.rst()) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta) {
        } else if f.fin() && ep.last_seq == ep.start_seq_u32().wrapping_add(1) {
            self.ep[e].update_last_seq(last);
        } else if ep.state == ZState::Reset {
        } else if delta > 0 {
            self.ep[e].update_last_seq(last);
        } else if len > 0 && self.ep[e].rxmt.hit() {
            self.add_history(e, b'T');
        }
    }

    /// The endpoint state machine (`UpdateStateMachine`), keyed on the sender's state before
    /// this packet. Returns whether the sender closed (`do_close`).
    fn update_state_machine(
        &mut self,
        e: usize,
        seg: &TcpSegment,
        is_orig: bool,
        len: u64,
    ) -> bool {
        let p = 1 - e;
        let f = seg.flags;
        let mut do_close = false;
        match self.ep[e].state {
            ZState::Inactive => {
                if f.syn() {
                    if is_orig {
                        self.ep[e].set_state(if f.ack() {
                            ZState::SynAckSent
                        } else {
                            ZState::SynSent
                        });
                    } else {
                        if !f.ack()
                            && self.ep[p].state == ZState::SynAckSent
                            && seg.seq.0 == self.ep[e].start_seq_u32()
                        {
                            // A SYN/SYN-ACK reversal: flip and establish.
                            self.is_partial = false;
                            self.flip_roles();
                            self.ep[p].set_state(ZState::Established);
                        }
                        if self.ep[p].state == ZState::SynSent {
                            self.ep[p].set_state(ZState::Established);
                        }
                        self.ep[e].set_state(ZState::Established);
                    }
                }
                if f.fin() {
                    self.ep[e].set_state(ZState::Closed);
                    do_close = true;
                }
                if f.rst() {
                    self.ep[e].set_state(ZState::Reset);
                    do_close = true;
                }
                if self.ep[e].state == ZState::Inactive {
                    let orig_state = self.ep[self.zeek_orig].state;
                    if !is_orig && len == 0 && orig_state == ZState::SynSent {
                        // An ACK of the SYN before the SYN-ACK: not a partial connection.
                    } else if f.ack() && self.ep[p].state == ZState::Established {
                        self.ep[e].set_state(ZState::Established);
                        self.is_partial = false;
                    } else {
                        self.ep[e].set_state(ZState::Partial);
                    }
                }
            }
            ZState::SynSent | ZState::SynAckSent => {
                if f.fin() {
                    self.ep[e].set_state(ZState::Closed);
                    do_close = true;
                }
                if f.rst() {
                    self.ep[e].set_state(ZState::Reset);
                    do_close = true;
                }
            }
            ZState::Established | ZState::Partial => {
                if f.syn()
                    && self.ep[e].state == ZState::Partial
                    && self.ep[p].state == ZState::Inactive
                    && !f.ack()
                {
                    self.ep[e].set_state(ZState::SynSent);
                }
                if f.fin() && !f.rst() {
                    self.ep[e].set_state(ZState::Closed);
                    if self.ep[p].state == ZState::Reset && self.ep[p].prev_state == ZState::Closed
                    {
                        // FIN then RST from the peer was a normal termination after all.
                        self.ep[p].set_state(ZState::Closed);
                    }
                    do_close = true;
                }
                if f.rst() {
                    self.ep[e].set_state(ZState::Reset);
                    do_close = true;
                }
            }
            ZState::Closed => {
                if f.rst() && self.ep[p].state != ZState::Closed {
                    self.ep[e].set_state(ZState::Reset);
                    if !self.ep[e].did_close {
                        do_close = true;
                    }
                }
            }
            ZState::Reset => {}
        }
        do_close
    }

    /// `clean`: ESTABLISHED, or CLOSED straight from ESTABLISHED.
    fn clean(&self, e: usize) -> bool {
        let ep = &self.ep[e];
        ep.state == ZState::Established
            || (ep.state == ZState::Closed && ep.prev_state == ZState::Established)
    }

    /// `TCP_Reassembler::AckReceived` on the data of host `d`, acknowledged up to `seq`.
    fn ack_received(&mut self, d: usize, mut seq: u64) {
        let ep = &self.ep[d];
        if ep.fin_cnt > 0 && seq >= ep.fin_seq {
            seq = ep.fin_seq.wrapping_sub(1);
        }
        if seq <= ep.trim_seq {
            return;
        }
        if seq > ep.last_reassem_seq {
            self.undelivered(d, seq);
        }
        let ep = &mut self.ep[d];
        ep.blocks
            .retain_map(|(bs, be)| (be > seq).then_some((bs.max(seq), be)));
        ep.trim_seq = seq;
    }

    /// `TCP_Reassembler::Undelivered`: everything below `up_to` that never arrived is a gap.
    fn undelivered(&mut self, d: usize, up_to: u64) {
        if up_to <= 2 && self.is_partial {
            return;
        }
        if !self.ep[d].skip_deliveries {
            let (blocks, n) = self.ep[d].blocks.copied();
            for &(bs, be) in &blocks[..n] {
                let last = self.ep[d].last_reassem_seq;
                if bs < last {
                    continue;
                }
                if bs >= up_to {
                    break;
                }
                self.gap(d, bs - last);
                self.ep[d].last_reassem_seq = be;
            }
            let last = self.ep[d].last_reassem_seq;
            if up_to > last {
                self.gap(d, up_to - last);
            }
        }
        let ep = &mut self.ep[d];
        if up_to > ep.last_reassem_seq {
            ep.last_reassem_seq = up_to;
        }
    }

    fn gap(&mut self, d: usize, len: u64) {
        if len == 0 || !(self.clean(d) && self.clean(1 - d)) {
            return;
        }
        if self.ep[d].gap.hit() {
            self.add_history(d, b'G');
        }
        self.missed_bytes = self.missed_bytes.saturating_add(len);
    }

    /// `TCPSessionAdapter::Process` for one segment from host `e` (0 = synack's originator).
    pub fn on_segment(&mut self, seg: &TcpSegment, e: usize) {
        let p = 1 - e;
        let f = seg.flags;
        let is_orig = self.ep[e].is_orig;
        let len = u64::from(seg.payload_len);
        let mut seg_len = len + u64::from(f.syn()) + u64::from(f.fin());
        if f.rst() {
            seg_len -= len;
        }
        let base = seg.seq.0;
        let one_past = base.wrapping_add(seg_len as u32);
        self.init_endpoint(e, seg, base, one_past);
        let mut underflow = false;
        let rel_seq = {
            let ep = &self.ep[e];
            ep.relative(base, ep.last_seq, ep.seq_wraps, &mut underflow)
        };
        self.update_history(seg, e, rel_seq, len);
        // update_window: a zero window, unless RST, the sender reset, or the peer closed.
        if seg.window == 0
            && !f.rst()
            && self.ep[p].state != ZState::Closed
            && self.ep[e].state != ZState::Reset
            && self.ep[e].win0.hit()
        {
            self.add_history(e, b'W');
        }
        if !(self.ep[0].did_close && self.ep[1].did_close) {
            self.last_time = self.last_time.max(seg.ts);
        }
        if f.fin() {
            let ep = &mut self.ep[e];
            ep.fin_cnt += 1;
            ep.fin_seq = rel_seq.wrapping_add(seg_len);
        }
        let mut rel_ack = 0;
        if f.ack() {
            let ack = seg.ack.0;
            if self.ep[p].state == ZState::Inactive {
                rel_ack = 1;
                let peer = &mut self.ep[p];
                let a = ack.wrapping_sub(1);
                peer.init_start(a);
                peer.ack_seq = a;
                peer.last_seq = a;
            } else {
                let mut uf = false;
                let peer = &self.ep[p];
                rel_ack = peer.relative(ack, peer.ack_seq, peer.ack_wraps, &mut uf);
                if uf {
                    rel_ack = 0;
                } else if !f.rst() {
                    let delta = seq_delta(ack, self.ep[p].ack_seq);
                    if !(ack == 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0 {
                        self.ep[p].update_ack_seq(ack);
                    }
                }
            }
        }
        self.update_last_seq(e, seg, one_past, len);
        let do_close = self.update_state_machine(e, seg, is_orig, len);
        if f.ack() {
            self.ack_received(p, rel_ack);
        }
        let rel_data_seq = if f.syn() {
            rel_seq.wrapping_add(1)
        } else {
            rel_seq
        };
        if len > 0 && u64::from(seg.payload_captured) >= len && !f.rst() && !underflow {
            self.ep[e].data_sent(rel_data_seq, len);
        }
        if do_close {
            self.ep[e].did_close = true;
        }
        let ep = &mut self.ep[e];
        ep.pkts += 1;
        ep.ip_bytes += u64::from(seg.ip_len);
    }

    /// Bytes of sequence space host `h` used (Zeek's `Size()`; 0 is synack's originator).
    pub fn size_of(&self, h: usize) -> u64 {
        let h = h.min(1);
        self.ep[h].size(self.ep[1 - h].state)
    }

    /// The conn.log fields, with Zeek's roles.
    pub fn fields(&self) -> ZeekFields {
        let o = &self.ep[self.zeek_orig];
        let r = &self.ep[1 - self.zeek_orig];
        let duration = self.last_time.since(self.start_time);
        let logged = !duration.is_zero();
        ZeekFields {
            conn_state: conn_state(
                o,
                r,
                o.size(r.state),
                r.size(o.state),
                self.history.as_str(),
            ),
            history: self.history.as_str().to_string(),
            flipped: self.zeek_orig == 1,
            duration: logged.then_some(duration),
            orig_bytes: logged.then(|| o.size(r.state)),
            resp_bytes: logged.then(|| r.size(o.state)),
            missed_bytes: self.missed_bytes,
            orig_pkts: o.pkts,
            orig_ip_bytes: o.ip_bytes,
            resp_pkts: r.pkts,
            resp_ip_bytes: r.ip_bytes,
        }
    }
}

/// `conn_state()` of base/protocols/conn/main.zeek.
fn conn_state(o: &Endp, r: &Endp, o_size: u64, r_size: u64, history: &str) -> ConnState {
    use ZState::*;
    let (os, rs) = (o.state, r.state);
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if matches!(os, SynSent | SynAckSent) || (os == Reset && o_size == 0 && r_size == 0) {
            ConnState::Rej
        } else if o_inactive {
            ConnState::Rstrh
        } else {
            ConnState::Rstr
        }
    } else if os == Reset {
        if r_inactive {
            if rstos0_history(history) {
                ConnState::Rstos0
            } else {
                ConnState::Oth
            }
        } else {
            ConnState::Rsto
        }
    } else if rs == Closed && os == Closed {
        ConnState::Sf
    } else if os == Closed {
        if r_inactive {
            ConnState::Sh
        } else {
            ConnState::S2
        }
    } else if rs == Closed {
        if o_inactive {
            ConnState::Shr
        } else {
            ConnState::S3
        }
    } else if os == SynSent && rs == Inactive {
        ConnState::S0
    } else if os == Established && rs == Established {
        ConnState::S1
    } else {
        ConnState::Oth
    }
}

/// `/\^?S[^HAFGIQ]*R.*/ == history`: an anchored match.
fn rstos0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        match c {
            'R' => return true,
            'H' | 'A' | 'F' | 'G' | 'I' | 'Q' => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests;
