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
use std::time::Duration;

/// How far apart a copy may be from its original.
pub const WINDOW: Duration = Duration::from_millis(150);

/// Slots of the table (a power of two): 4096 × 8 bytes, 32 KB, so that it stays in the CPU's
/// nearest cache while the connection table does not (a 16 384-slot table of 16-byte entries
/// cost 8 % of tracking time on the bench capture; this one about 2 %). A copy is missed only
/// when segments hashing to its original's slot came in between: 0.5 % of copies 10 frames
/// apart, as mirrored copies are; such a copy is then counted as a retransmission.
const SLOTS: usize = 1 << 12;

/// Time in units of 1024 ns, wrapping every 73 minutes: enough to compare within [`WINDOW`].
fn units(t: Timestamp) -> u32 {
    (t.as_nanos() >> 10) as u32
}

/// Recent segments: 32 bits of fingerprint (beside the 12 that chose the slot) and the time of
/// the first copy, packed into one word.
pub struct Duplicates {
    slots: Box<[u64]>,
}

impl Default for Duplicates {
    fn default() -> Self {
        Duplicates {
            slots: vec![0; SLOTS].into_boxed_slice(),
        }
    }
}

impl Duplicates {
    /// Whether `seg` copies a segment seen within [`WINDOW`] before it (or, in a timeline whose
    /// time is not monotonic, after it), while the capture's clock (`now`) has not moved more
    /// than [`WINDOW`] past that segment: a file holding the same trace twice repeats every
    /// frame with its timestamp, but long after, and those are another incarnation's segments
    /// (see `analyze::clock`), not copies. If not a copy, it is remembered.
    #[cfg(test)]
    pub fn is_copy(&mut self, seg: &TcpSegment, now: Timestamp) -> bool {
        self.is_copy_fp(seg, fingerprint(seg), now)
    }

    /// Starts bringing the slot of `seg` into the cache, and returns its fingerprint for
    /// [`Duplicates::is_copy_fp`]: the table is small, but the connection table around it
    /// pushes it out, and waiting for the slot was most of the check's cost.
    #[inline]
    pub fn prefetch(&self, seg: &TcpSegment) -> u64 {
        let fp = fingerprint(seg);
        if let Some(slot) = self.slots.get((fp as usize) & (SLOTS - 1)) {
            crate::flow::prefetch_addr(slot as *const u64 as usize, 8);
        }
        fp
    }

    /// [`Duplicates::is_copy`] with the fingerprint already computed.
    #[inline]
    pub fn is_copy_fp(&mut self, seg: &TcpSegment, fp: u64, now: Timestamp) -> bool {
        if seg.flags.rst() {
            return false;
        }
        let Some(slot) = self.slots.get_mut((fp as usize) & (SLOTS - 1)) else {
            return false;
        };
        let (seen, at) = ((*slot >> 32) as u32, *slot as u32);
        let key = (fp >> 32) as u32;
        let window = (WINDOW.as_nanos() >> 10) as i32;
        let near = |t: u32| (t.wrapping_sub(at) as i32).unsigned_abs() <= window.unsigned_abs();
        if seen == key && near(units(seg.ts)) && near(units(now)) {
            return true;
        }
        *slot = u64::from(key) << 32 | u64::from(units(seg.ts));
        false
    }
}

/// The segment's fingerprint: its fields folded into 64 bits by multiply-xorshift rounds, on
/// integers only (hashing the `IpAddr`s with a general hasher cost a third of the check).
fn fingerprint(s: &TcpSegment) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let addr = |a: std::net::IpAddr| -> u64 {
        match a {
            std::net::IpAddr::V4(v4) => u64::from(u32::from(v4)),
            std::net::IpAddr::V6(v6) => {
                let x = u128::from(v6);
                (x as u64) ^ ((x >> 64) as u64).wrapping_mul(K)
            }
        }
    };
    let mix = |h: u64, v: u64| (h ^ v).wrapping_mul(K).rotate_left(29);
    let mut h = mix(addr(s.src.addr), addr(s.dst.addr).rotate_left(32));
    h = mix(
        h,
        u64::from(s.src.port) << 48 | u64::from(s.dst.port) << 32 | u64::from(s.seq.0),
    );
    h = mix(
        h,
        u64::from(s.ack.0) << 32 | u64::from(s.flags.0) << 16 | u64::from(s.window),
    );
    h = mix(
        h,
        u64::from(s.payload_len) << 32 | u64::from(s.checksum) << 16 | u64::from(s.ip_id),
    );
    h ^ (h >> 32)
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
