//! Duplicate frames: the same IP packet captured more than once, as a SPAN port mirroring
//! several VLANs or interfaces delivers it (`zeek/vlan-collisions.pcap` holds every segment
//! three times, on no VLAN, on VLAN 42 and on QinQ 10/20, 50 ms apart), or as `tcpdump -i any`
//! sees a forwarded packet on its way in and on its way out.
//!
//! A TCP segment is a copy of an earlier one when, within [`WINDOW`] of it, it travels the same
//! way between the same endpoints with the same sequence and acknowledgment numbers, flags,
//! window, payload length, TCP checksum and (IPv4) Identification. The TTL, the IP header
//! checksum, VLAN tags and link headers may differ: a router or a tagging switch changes those,
//! never the TCP header or the IP ID.
//!
//! Why a retransmission is never taken for a copy:
//! * a sender's retransmission waits its retransmission timeout: RFC 6298 §2 puts its floor at
//!   1 s, Linux at 200 ms (`TCP_RTO_MIN`), SYNs and SYN-ACKs at 1 s (`TCP_TIMEOUT_INIT`); the
//!   window is 150 ms;
//! * over IPv4, every data segment a connected socket sends carries a new IP ID (Linux,
//!   Windows and the BSDs count per socket or per destination), so even a fast retransmission
//!   (a tail-loss probe, RFC 8985, can leave after 10 ms) differs from the original in its IP
//!   ID (SYNs are the exception: Windows re-sends a SYN with its IP ID, Linux answers with
//!   SYN-ACKs of ID 0, but those wait a second: `chrissanders-packets/nowebaccess3.pcapng`
//!   holds a Windows SYN, a copy of it 5 ms later, and its retransmission 1 s later);
//! * with TCP timestamps (Linux's default) the TSval advances every millisecond, and the
//!   checksum with it.
//!   What remains, a tail-loss probe over IPv6 without timestamps within 150 ms, is rare
//!   enough to accept.
//!
//! RSTs are never taken for copies: a host without a socket answers every segment of a burst
//! with the same RST (sequence number = the segment's ACK, no IP ID), byte for byte.
//!
//! The check runs on the reader thread, over the timeline in frame order, so it is the same
//! for every `--jobs`: a direct-mapped table of recent fingerprints, fixed in size, nothing
//! allocated per packet. Two packets colliding in one slot only cost a missed copy.

use crate::decode::TcpSegment;
use crate::time::Timestamp;
use std::hash::BuildHasher;
use std::time::Duration;

/// How far apart a copy may be from its original.
pub const WINDOW: Duration = Duration::from_millis(150);

/// Slots of the table (a power of two): far more than the segments any capture holds within
/// [`WINDOW`] on one link that mirrors are built for.
const SLOTS: usize = 1 << 14;

/// Recent segments' fingerprints, each with the time of its first copy.
pub struct Duplicates {
    slots: Box<[(u64, Timestamp)]>,
}

impl Default for Duplicates {
    fn default() -> Self {
        Duplicates {
            slots: vec![(0, Timestamp::from_nanos(i64::MIN)); SLOTS].into_boxed_slice(),
        }
    }
}

impl Duplicates {
    /// Whether `seg` copies a segment seen within [`WINDOW`] before it (or, in a timeline whose
    /// time is not monotonic, after it), while the capture's clock (`now`) has not moved more
    /// than [`WINDOW`] past that segment: a file holding the same trace twice repeats every
    /// frame with its timestamp, but long after, and those are another incarnation's segments
    /// (see `analyze::clock`), not copies. If not a copy, it is remembered.
    pub fn is_copy(&mut self, seg: &TcpSegment, now: Timestamp) -> bool {
        if seg.flags.rst() {
            return false;
        }
        let fp = fingerprint(seg);
        let Some(slot) = self.slots.get_mut((fp as usize) & (SLOTS - 1)) else {
            return false;
        };
        let (seen, at) = *slot;
        let gap = seg.ts.since(at).max(at.since(seg.ts));
        if seen == fp && gap <= WINDOW && now.since(at) <= WINDOW {
            return true;
        }
        *slot = (fp, seg.ts);
        false
    }
}

fn fingerprint(s: &TcpSegment) -> u64 {
    let h = foldhash::fast::FixedState::with_seed(0xd0_b1e5);
    h.hash_one((
        (s.src, s.dst),
        (s.seq.0, s.ack.0, s.flags.0, s.window),
        (s.payload_len, s.checksum, s.ip_id),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Endpoint, TcpFlags};
    use std::net::{IpAddr, Ipv4Addr};

    fn seg(ms: i64, flags: u16, ip_id: u16) -> TcpSegment {
        let a = Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 40000,
        };
        let b = Endpoint {
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            port: 80,
        };
        TcpSegment {
            ts: Timestamp::from_nanos(ms * 1_000_000),
            ip_id,
            checksum: 0x3bc0,
            ..TcpSegment::test(a, b, flags, 0)
        }
    }

    #[test]
    fn copies_within_the_window_are_duplicates() {
        let mut d = Duplicates::default();
        let s = |ms| seg(ms, TcpFlags::SYN, 7);
        assert!(!d.is_copy(&s(0), s(0).ts));
        assert!(d.is_copy(&s(50), s(50).ts), "another VLAN, 50 ms on");
        assert!(d.is_copy(&s(100), s(100).ts), "a third, 100 ms on");
        // The same frame again when the capture is seconds further: the trace repeated.
        assert!(!d.is_copy(&s(0), s(5000).ts));
    }

    #[test]
    fn retransmissions_are_not() {
        let mut d = Duplicates::default();
        let at = |s: TcpSegment| (s, s.ts);
        let (s, t) = at(seg(0, TcpFlags::SYN, 0));
        assert!(!d.is_copy(&s, t));
        // Linux's first SYN retransmission, 1 s on, is byte for byte the same.
        let (s, t) = at(seg(1000, TcpFlags::SYN, 0));
        assert!(!d.is_copy(&s, t));
        // A fast retransmission carries a new IP ID.
        let (s, t) = at(seg(1010, TcpFlags::SYN, 1));
        assert!(!d.is_copy(&s, t));
        // Identical RSTs answering a burst are each a RST.
        let (s, t) = at(seg(2000, TcpFlags::RST, 0));
        assert!(!d.is_copy(&s, t));
        let (s, t) = at(seg(2001, TcpFlags::RST, 0));
        assert!(!d.is_copy(&s, t));
    }
}
