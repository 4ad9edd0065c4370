//! Zeek's `TCP_Endpoint`: one side's state, relative sequence numbers, counters, and its
//! reassembler's view of what arrived.

use super::reassembly::Blocks;
use super::*;

/// A counter that adds its letter at the 1st, 10th, 100th... event (`ScaledHistoryEntry`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Scaled {
    pub(super) count: u32,
    pub(super) threshold: u32,
}

impl Scaled {
    pub(super) const NEW: Scaled = Scaled {
        count: 0,
        threshold: 1,
    };
    pub(super) fn hit(&mut self) -> bool {
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
pub(super) struct Endp {
    pub(super) state: ZState,
    pub(super) prev_state: ZState,
    /// Zeek's role for this host right now.
    pub(super) is_orig: bool,
    pub(super) start_seq: i64,
    pub(super) last_seq: u32,
    pub(super) seq_wraps: u32,
    pub(super) ack_seq: u32,
    pub(super) ack_wraps: u32,
    pub(super) hist_last_syn: u64,
    pub(super) hist_last_fin: u64,
    pub(super) hist_last_rst: u64,
    pub(super) fin_cnt: u32,
    pub(super) fin_seq: u64,
    pub(super) did_close: bool,
    pub(super) rxmt: Scaled,
    pub(super) win0: Scaled,
    pub(super) gap: Scaled,
    pub(super) pkts: u64,
    pub(super) ip_bytes: u64,
    // Reassembly, in relative sequence space.
    pub(super) last_reassem_seq: u64,
    pub(super) trim_seq: u64,
    pub(super) blocks: Blocks,
    pub(super) skip_deliveries: bool,
}

impl Endp {
    pub(super) fn new(is_orig: bool) -> Self {
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

    pub(super) fn set_state(&mut self, s: ZState) {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
        }
    }

    pub(super) fn start_seq_u32(&self) -> u32 {
        self.start_seq as u32
    }

    pub(super) fn init_start(&mut self, seq: u32) {
        self.start_seq = i64::from(seq);
    }

    pub(super) fn update_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps = self.seq_wraps.wrapping_add(1);
        }
        self.last_seq = seq;
    }

    pub(super) fn update_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps = self.ack_wraps.wrapping_add(1);
        }
        self.ack_seq = seq;
    }

    pub(super) fn full(seq: u32, wraps: u32) -> u64 {
        (u64::from(wraps) << 32).wrapping_add(u64::from(seq))
    }

    /// `get_relative_seq`: `cur` relative to the start, tracking 32-bit wraps against `last`.
    pub(super) fn relative(
        &self,
        cur: u32,
        last: u32,
        mut wraps: u32,
        underflow: &mut bool,
    ) -> u64 {
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

    pub(super) fn no_data_acked(&self) -> bool {
        let ack = Self::full(self.ack_seq, self.ack_wraps) as i64;
        ack == self.start_seq || ack == self.start_seq.wrapping_add(1)
    }

    /// `TCP_Endpoint::Size()`: bytes of sequence space used, from the highest sequence number
    /// sent or acknowledged, without the SYN and FIN octets.
    pub(super) fn size(&self, peer_state: ZState) -> u64 {
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

    pub(super) fn undelivered_bytes(&self) -> u64 {
        self.blocks
            .slice()
            .iter()
            .map(|(s, e)| e.saturating_sub(*s))
            .sum()
    }

    /// `Reassembler::NewBlock` for fully captured payload at relative `seq`.
    pub(super) fn data_sent(&mut self, seq: u64, len: u64) {
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

    pub(super) fn insert_block(&mut self, start: u64, end: u64) {
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

    pub(super) fn deliver_contiguous(&mut self) {
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
