//! Zeek's `TCPSessionAdapter` for one connection: both endpoints, the history, and the
//! conn.log fields synack reports.

use super::conn_state::conn_state;
use super::endpoint::Endp;
use super::history::History;
use super::*;
use crate::decode::TcpSegment;
use crate::time::Timestamp;

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

impl ZeekFields {
    /// What a connection without Zeek's model reports: nothing Zeek would say.
    pub fn unknown() -> Self {
        ZeekFields {
            conn_state: ConnState::Oth,
            history: String::new(),
            flipped: false,
            duration: None,
            orig_bytes: None,
            resp_bytes: None,
            missed_bytes: 0,
            orig_pkts: 0,
            orig_ip_bytes: 0,
            resp_pkts: 0,
            resp_ip_bytes: 0,
        }
    }
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
