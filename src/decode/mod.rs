//! Decoding: link layer → IP → TCP, laxly, into a small `Copy` [`TcpSegment`].
//!
//! Guarantees: no allocation, no panic, whatever the bytes. Every frame lands in exactly one
//! bucket of [`DecodeStats`] — a TCP segment, something that is not TCP, or undecodable — so the
//! counts always add up to the frames read. Frames cut by the snap length still yield their TCP
//! header when its fixed 20 bytes were captured; the payload length comes from the IP header, not
//! from what was captured. IP fragments are counted, never mistaken for TCP, and a TCP header
//! quoted inside an ICMP error is ICMP, not a segment.
//!
//! Link types: ETHERNET (with 802.1Q/802.1ad tag stacks, MPLS, PPPoE session, Cisco FabricPath,
//! 802.3 SNAP), NULL, LOOP, RAW (101, 12, 14), IPV4, IPV6, LINUX_SLL, LINUX_SLL2, NFLOG, IPOIB and
//! ARCNET_LINUX. IP-in-IP and GRE tunnels are followed to the innermost TCP header.

mod link;

use crate::capture::Frame;
mod log;
mod seq;
use crate::time::Timestamp;
use etherparse::{err, IpNumber, LaxIpSlice};
pub use log::{SegmentLog, SegmentRecorder};
pub use seq::SeqNum;
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// One side of a TCP conversation: address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

/// TCP control bits, as in the header's flags byte plus AE (formerly NS) as bit 8.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const AE: u16 = 0x100;

    pub fn has(self, bits: u16) -> bool {
        self.0 & bits == bits
    }
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
}

impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for TcpFlags {
    /// tcpdump's letters: `S`, `S.`, `F.`, `R`, `P.`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LETTERS: [(u16, char); 8] = [
            (TcpFlags::SYN, 'S'),
            (TcpFlags::FIN, 'F'),
            (TcpFlags::PSH, 'P'),
            (TcpFlags::RST, 'R'),
            (TcpFlags::URG, 'U'),
            (TcpFlags::ECE, 'E'),
            (TcpFlags::CWR, 'W'),
            (TcpFlags::ACK, '.'),
        ];
        let mut any = false;
        for (bit, c) in LETTERS {
            if self.has(bit) {
                write!(f, "{c}")?;
                any = true;
            }
        }
        if self.has(Self::AE) {
            f.write_str("e")?;
            any = true;
        }
        if !any {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// The options a SYN or SYN-ACK offers (decoded on segments with SYN set only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SynOptions {
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_permitted: bool,
    /// The Timestamps option was offered.
    pub timestamps: bool,
}

/// One TCP segment as the capture shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment {
    /// Frame number, 1-based as Wireshark numbers frames.
    pub frame: u64,
    pub ts: Timestamp,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: SeqNum,
    pub ack: SeqNum,
    pub flags: TcpFlags,
    pub window: u16,
    /// Payload bytes, from the IP header's length (not the captured length).
    pub payload_len: u32,
    /// Of those, how many the capture holds (fewer when the snap length cut the frame).
    pub payload_captured: u32,
    /// The IP datagram's length from its header (Zeek's `ip_bytes`).
    pub ip_len: u32,
    pub options: SynOptions,
    /// The snap length cut the frame: the header survived, some payload did not.
    pub truncated: bool,
    /// The TCP checksum as written (never verified: it tells copies of one packet apart from
    /// retransmissions).
    pub checksum: u16,
    /// The IPv4 Identification field (0 for IPv6, which has none outside fragments).
    pub ip_id: u16,
    /// An earlier frame of the capture carried this same IP packet (another VLAN or interface
    /// of a SPAN): set by the reader, see `analyze::dup`.
    pub duplicate: bool,
    /// Not a segment: an ICMP error quoting this one (see [`NotTcp::IcmpQuote`]).
    pub icmp: Option<Unreachable>,
    /// Its timestamp lies far behind the capture's clock (a clock anomaly: the same trace
    /// twice in one file, hosts with clocks apart merged): set by the reader.
    pub behind_clock: bool,
}

/// An ICMP (type 3) or ICMPv6 (type 1) destination-unreachable, by code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreachable {
    pub v6: bool,
    pub code: u8,
    /// The TCP flags were quoted (ICMPv4 need quote only 8 bytes of the TCP header).
    pub flags_quoted: bool,
}

impl Unreachable {
    /// A hard error ends a connection attempt (RFC 1122 §4.2.3.9, RFC 5927 §4): protocol or
    /// port unreachable, communication administratively prohibited, unknown network or host.
    /// Network and host unreachable are soft: the SYN retries go on (the path may come back).
    pub fn is_hard(self) -> bool {
        if self.v6 {
            // RFC 4443 §3.1: 0 no route, 2 beyond scope, 3 address unreachable are soft;
            // 1 administratively prohibited, 4 port unreachable, 5 ingress/egress policy and
            // 6 reject route are hard.
            matches!(self.code, 1 | 4 | 5 | 6)
        } else {
            // RFC 792, RFC 1812 §5.2.7.1: 2 protocol, 3 port, 6/7 network/host unknown, 9/10
            // network/host administratively prohibited, 13 communication administratively
            // prohibited (a filter).
            matches!(self.code, 2 | 3 | 6 | 7 | 9 | 10 | 13)
        }
    }

    /// What it says, as `ip6tables`/`nft` name the codes.
    pub fn name(self) -> &'static str {
        match (self.v6, self.code) {
            (false, 0) => "network unreachable",
            (false, 1) => "host unreachable",
            (false, 2) => "protocol unreachable",
            (false, 3) => "port unreachable",
            (false, 9 | 10 | 13) => "administratively prohibited",
            (true, 0) => "no route",
            (true, 1) => "administratively prohibited",
            (true, 3) => "address unreachable",
            (true, 4) => "port unreachable",
            (true, 5 | 6) => "rejected by policy",
            _ => "destination unreachable",
        }
    }
}

impl TcpSegment {
    /// A segment from `src` to `dst` with every other field zero, false or empty: the start of
    /// an ICMP error's quote and of the unit tests' segments (struct update syntax sets the rest).
    fn between(src: Endpoint, dst: Endpoint) -> Self {
        TcpSegment {
            frame: 0,
            ts: Timestamp::from_nanos(0),
            src,
            dst,
            seq: SeqNum(0),
            ack: SeqNum(0),
            flags: TcpFlags(0),
            window: 0,
            payload_len: 0,
            payload_captured: 0,
            ip_len: 0,
            options: SynOptions::default(),
            truncated: false,
            checksum: 0,
            ip_id: 0,
            duplicate: false,
            icmp: None,
            behind_clock: false,
        }
    }

    /// A segment for unit tests, from `src` to `dst` with `flags` and `len` payload bytes,
    /// all captured, in an option-less IPv4 datagram; frame 1 at time 0, sequence and
    /// acknowledgment numbers 0, no TCP options (struct update syntax sets the rest).
    #[cfg(test)]
    pub(crate) fn test(src: Endpoint, dst: Endpoint, flags: u16, len: u32) -> Self {
        TcpSegment {
            frame: 1,
            flags: TcpFlags(flags),
            window: 64240,
            payload_len: len,
            payload_captured: len,
            ip_len: 40 + len,
            ..TcpSegment::between(src, dst)
        }
    }
}

/// Why a frame is not a TCP segment, although it was understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotTcp {
    /// ARP, LLDP, STP, an unknown ethertype...
    NotIp,
    /// UDP, ICMP, ...
    OtherIp,
    /// An ICMP or ICMPv6 destination-unreachable quoting a TCP header: still not a segment,
    /// but the answer to one. The segment holds what was quoted (endpoints as the quoted
    /// segment travelled, its sequence number; its ACK and flags when quoted) and `icmp`.
    IcmpQuote(TcpSegment),
    /// A fragment of an IP datagram: never reassembled, never taken for a segment.
    Fragment,
}

/// Why a frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undecodable {
    /// Cut before the headers up to TCP's fixed 20 bytes were complete.
    Truncated,
    /// A header that cannot be right.
    Malformed,
    /// A link type synack does not decode.
    UnsupportedLink,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    Tcp(TcpSegment),
    NotTcp(NotTcp),
    Undecodable(Undecodable),
}

/// Per-capture decode counts. `packets = tcp_segments + non_tcp + undecodable`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub packets: u64,
    pub tcp_segments: u64,
    pub non_tcp: u64,
    /// Of `non_tcp`: IP fragments.
    pub ip_fragments: u64,
    /// Of `tcp_segments`: frames the snap length cut.
    pub truncated: u64,
    pub undecodable: u64,
    /// Of `undecodable`: frames of a link type synack does not decode.
    pub unsupported_link: u64,
    /// Of `tcp_segments`: copies of a segment captured just before (counted by the reader).
    pub duplicates: u64,
    /// Frames whose timestamp is invalid, far ahead or far back (counted by the reader).
    pub clock_anomalies: u64,
}

impl DecodeStats {
    pub fn count(&mut self, d: &Decoded) {
        self.packets += 1;
        match d {
            Decoded::Tcp(seg) => {
                self.tcp_segments += 1;
                self.truncated += u64::from(seg.truncated);
            }
            Decoded::NotTcp(n) => {
                self.non_tcp += 1;
                self.ip_fragments += u64::from(*n == NotTcp::Fragment);
            }
            Decoded::Undecodable(u) => {
                self.undecodable += 1;
                self.unsupported_link += u64::from(*u == Undecodable::UnsupportedLink);
            }
        }
    }
}

/// How deep tunnels (IP-in-IP, GRE) are followed before giving up.
const MAX_TUNNEL_DEPTH: u8 = 4;

/// Decodes one frame.
pub fn decode(frame: &Frame<'_>) -> Decoded {
    let ip = match link::network_layer(frame.link, frame.data) {
        Ok(ip) => ip,
        Err(outcome) => return outcome,
    };
    decode_ip(frame, ip, 0)
}

fn truncated_or(frame: &Frame<'_>, incomplete: bool) -> Decoded {
    if incomplete || frame.is_truncated() {
        Decoded::Undecodable(Undecodable::Truncated)
    } else {
        Decoded::Undecodable(Undecodable::Malformed)
    }
}

fn decode_ip(frame: &Frame<'_>, data: &[u8], depth: u8) -> Decoded {
    let (ip, stop) = match LaxIpSlice::from_slice(data) {
        Ok(x) => x,
        Err(err::ip::LaxHeaderSliceError::Len(_)) => return truncated_or(frame, true),
        Err(err::ip::LaxHeaderSliceError::Content(_)) => return truncated_or(frame, false),
    };
    let payload = ip.payload();
    if payload.fragmented {
        return Decoded::NotTcp(NotTcp::Fragment);
    }
    if let Some((e, _)) = stop {
        // An extension header could not be walked: the transport header is out of reach.
        let cut = matches!(e, err::ipv6_exts::HeaderSliceError::Len(_));
        return truncated_or(frame, cut && payload.incomplete);
    }
    match payload.ip_number {
        IpNumber::TCP => {}
        IpNumber::IPV4 | IpNumber::IPV6 if depth < MAX_TUNNEL_DEPTH => {
            return decode_ip(frame, payload.payload, depth + 1)
        }
        IpNumber::GRE if depth < MAX_TUNNEL_DEPTH => {
            return match link::gre(payload.payload) {
                Ok(inner) => decode_ip(frame, inner, depth + 1),
                Err(outcome) => outcome,
            };
        }
        IpNumber::ICMP | IpNumber::IPV6_ICMP if depth == 0 => {
            let v6 = payload.ip_number == IpNumber::IPV6_ICMP;
            return Decoded::NotTcp(icmp_quote(frame, payload.payload, v6));
        }
        _ => return Decoded::NotTcp(NotTcp::OtherIp),
    }
    // The datagram's length as its header declares it; 0 (TSO, jumbograms) falls back to what
    // was captured.
    let ip_len = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            let total = usize::from(h.total_len());
            if total >= h.slice().len() {
                total
            } else {
                data.len()
            }
        }
        LaxIpSlice::Ipv6(v6) => match v6.header().payload_length() {
            0 => data.len(),
            n => 40 + usize::from(n),
        },
    };
    let tcp = payload.payload;
    let tcp_offset = (tcp.as_ptr() as usize).saturating_sub(data.as_ptr() as usize);
    let tcp_len = ip_len.saturating_sub(tcp_offset);
    match decode_tcp(frame, tcp, tcp_len, payload.incomplete) {
        Ok(mut seg) => {
            seg.src.addr = ip.source_addr();
            seg.dst.addr = ip.destination_addr();
            seg.ip_len = u32::try_from(ip_len).unwrap_or(u32::MAX);
            if let LaxIpSlice::Ipv4(v4) = &ip {
                seg.ip_id = v4.header().identification();
            }
            Decoded::Tcp(seg)
        }
        Err(outcome) => outcome,
    }
}

/// An ICMPv4 destination unreachable (RFC 792: type 3, then 4 unused bytes, then the quoted IP
/// header and at least 8 bytes of its payload) or ICMPv6 one (RFC 4443 §3.1: type 1, the same
/// layout) that quotes a TCP header: its ports and sequence number, and (when quoted) its ACK
/// and flags. Anything else ICMP is just not TCP. Cold: kept out of the TCP path's code.
#[cold]
#[inline(never)]
fn icmp_quote(frame: &Frame<'_>, icmp: &[u8], v6: bool) -> NotTcp {
    let unreachable_type = if v6 { 1 } else { 3 };
    let (Some(&ty), Some(&code), Some(quoted)) = (icmp.first(), icmp.get(1), icmp.get(8..)) else {
        return NotTcp::OtherIp;
    };
    if ty != unreachable_type {
        return NotTcp::OtherIp;
    }
    let Ok((ip, _)) = LaxIpSlice::from_slice(quoted) else {
        return NotTcp::OtherIp;
    };
    let inner = ip.payload();
    if inner.ip_number != IpNumber::TCP || inner.fragmented {
        return NotTcp::OtherIp;
    }
    let t = inner.payload;
    let (Some(sport), Some(dport), Some(seq)) = (be16(t, 0), be16(t, 2), be32(t, 4)) else {
        return NotTcp::OtherIp;
    };
    let flags = be16(t, 12);
    let seg = TcpSegment {
        frame: frame.number,
        ts: frame.ts,
        seq: SeqNum(seq),
        ack: SeqNum(be32(t, 8).unwrap_or(0)),
        flags: TcpFlags(flags.map_or(0, |f| f & 0x1ff)),
        icmp: Some(Unreachable {
            v6,
            code,
            flags_quoted: flags.is_some(),
        }),
        ..TcpSegment::between(
            Endpoint {
                addr: ip.source_addr(),
                port: sport,
            },
            Endpoint {
                addr: ip.destination_addr(),
                port: dport,
            },
        )
    };
    NotTcp::IcmpQuote(seg)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The TCP header (RFC 9293 §3.1). `declared_len` is the segment length the IP header implies.
#[inline(always)]
fn decode_tcp(
    frame: &Frame<'_>,
    t: &[u8],
    declared_len: usize,
    incomplete: bool,
) -> Result<TcpSegment, Decoded> {
    let (
        Some(sport),
        Some(dport),
        Some(seq),
        Some(ack),
        Some(off_flags),
        Some(window),
        Some(checksum),
    ) = (
        be16(t, 0),
        be16(t, 2),
        be32(t, 4),
        be32(t, 8),
        be16(t, 12),
        be16(t, 14),
        be16(t, 16),
    )
    else {
        return Err(truncated_or(frame, incomplete));
    };
    let header_len = usize::from(off_flags >> 12) * 4;
    if header_len < 20 {
        return Err(Decoded::Undecodable(Undecodable::Malformed));
    }
    let flags = TcpFlags(off_flags & 0x1ff);
    let options = if flags.syn() {
        // Options cut by the snap length decode as far as they were captured.
        syn_options(t.get(20..header_len.min(t.len())).unwrap_or(&[]))
    } else {
        SynOptions::default()
    };
    let unspecified = Endpoint {
        addr: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        port: 0,
    };
    Ok(TcpSegment {
        frame: frame.number,
        ts: frame.ts,
        src: Endpoint {
            port: sport,
            ..unspecified
        },
        dst: Endpoint {
            port: dport,
            ..unspecified
        },
        seq: SeqNum(seq),
        ack: SeqNum(ack),
        flags,
        window,
        payload_len: u32::try_from(declared_len.saturating_sub(header_len)).unwrap_or(u32::MAX),
        // Ethernet padding lies beyond the IP length and is not payload.
        payload_captured: u32::try_from(t.len().min(declared_len).saturating_sub(header_len))
            .unwrap_or(u32::MAX),
        ip_len: 0,
        options,
        truncated: frame.is_truncated(),
        checksum,
        ip_id: 0,
        duplicate: false,
        icmp: None,
        behind_clock: false,
    })
}

/// The options of a SYN or SYN-ACK (RFC 9293 §3.2): every option but End of List and No-Operation
/// carries its length, so one synack does not know (TFO 34, MPTCP 30, TCP-AO 29, AccECN 172/174,
/// the experimental 253/254 of RFC 6994) is stepped over by it and the options after it are still
/// read. A length below 2 or past the captured bytes ends the walk, as it ends a receiver's.
/// (etherparse's iterator stops at the first kind it does not know: `tcpdump/accecn_handshake.pcap`
/// lost its window scale behind an AccECN option.)
fn syn_options(mut b: &[u8]) -> SynOptions {
    let mut o = SynOptions::default();
    while let Some((&kind, rest)) = b.split_first() {
        match kind {
            0 => break,
            1 => {
                b = rest;
                continue;
            }
            _ => {}
        }
        let Some(&len) = rest.first() else { break };
        let len = usize::from(len);
        let Some(body) = b.get(2..len).filter(|_| len >= 2) else {
            break;
        };
        match (kind, body.len()) {
            (2, 2) => o.mss = be16(body, 0),
            (3, 1) => o.wscale = body.first().copied(),
            (4, 0) => o.sack_permitted = true,
            (8, 8) => o.timestamps = true,
            _ => {}
        }
        b = b.get(len..).unwrap_or(&[]);
    }
    o
}

#[cfg(test)]
mod tests;
