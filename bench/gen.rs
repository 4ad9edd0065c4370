//! A deterministic generator of large captures: many interleaved TCP connections with a mix of
//! what real traffic holds — clean exchanges, retransmitted SYNs, refused connections, SYNs
//! nobody answers, half-open handshakes and resets — written as pcap or pcapng. The same seed
//! and size give the same bytes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// The mix of connection kinds, in percent.
const MIX: [(Kind, u32); 7] = [
    (Kind::Clean, 78),
    (Kind::ServerClosesFirst, 6),
    (Kind::SynRetransmitted, 5),
    (Kind::Refused, 4),
    (Kind::Unanswered, 1),
    (Kind::HalfOpen, 2),
    (Kind::Reset, 4),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Clean,
    ServerClosesFirst,
    SynRetransmitted,
    Refused,
    /// SYNs into a black hole: sent three times, never answered.
    Unanswered,
    /// The server answers, the final ACK never comes: SYN-ACK sent three times (SYN-RECEIVED).
    HalfOpen,
    Reset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    Pcap,
    PcapNg,
}

pub struct GenConfig {
    pub bytes: u64,
    pub format: OutFormat,
    pub seed: u64,
    /// Connections open at once.
    pub live: usize,
    /// New connections per second of capture time. With `live`, it sets how long a connection
    /// lasts (live / rate), and so how many finished connections wait out TIME-WAIT at once
    /// (rate × 60 s): a busy server's numbers, not a burst.
    pub rate: f64,
    /// What kind of traffic.
    pub shape: Shape,
}

/// The traffic a capture holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Many interleaved connections in [`MIX`], `live` open at once, `rate` new a second.
    Mix,
    /// A spoofed SYN flood, `rate` SYNs a second: see [`generate_flood`].
    Flood,
    /// One connection reset, then segments after the RST to the end: see [`generate_after_rst`].
    AfterRst,
}

/// xorshift64*: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One packet a connection will send next.
#[derive(Clone, Copy)]
struct Pkt {
    from_client: bool,
    flags: u8,
    payload: u16,
    /// Delay before this packet, microseconds.
    gap_us: u64,
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

struct Conn {
    client: [u8; 4],
    server: [u8; 4],
    cport: u16,
    sport: u16,
    cseq: u32,
    sseq: u32,
    script: Vec<Pkt>,
    next: usize,
    /// The SYN-ACK has been sent: both ISNs are consumed.
    handshaken: bool,
    /// Capture time at which the next packet is due, microseconds.
    due_us: u64,
}

/// `lifetime_us`: about how long the connection lasts, spread over its think times.
fn script(kind: Kind, rng: &mut Rng, lifetime_us: u64) -> Vec<Pkt> {
    let p = |from_client, flags, payload, gap_us| Pkt {
        from_client,
        flags,
        payload,
        gap_us,
    };
    let mut s = Vec::with_capacity(16);
    let rtt = 200 + rng.below(3000);
    match kind {
        Kind::Refused => {
            s.push(p(true, SYN, 0, 0));
            s.push(p(false, RST | ACK, 0, rtt));
            return s;
        }
        Kind::Unanswered => {
            s.push(p(true, SYN, 0, 0));
            s.push(p(true, SYN, 0, 1_000_000));
            s.push(p(true, SYN, 0, 2_000_000));
            return s;
        }
        Kind::HalfOpen => {
            s.push(p(true, SYN, 0, 0));
            s.push(p(false, SYN | ACK, 0, rtt));
            s.push(p(false, SYN | ACK, 0, 1_000_000));
            s.push(p(false, SYN | ACK, 0, 2_000_000));
            return s;
        }
        Kind::SynRetransmitted => {
            s.push(p(true, SYN, 0, 0));
            s.push(p(true, SYN, 0, 1_000_000));
        }
        _ => s.push(p(true, SYN, 0, 0)),
    }
    s.push(p(false, SYN | ACK, 0, rtt));
    s.push(p(true, ACK, 0, rtt));
    let exchanges = 1 + rng.below(2);
    // Think time before each request and before the close: the connection's life.
    let think = (lifetime_us / (exchanges + 1)).max(1000);
    for _ in 0..exchanges {
        let request = 100 + rng.below(500) as u16;
        s.push(p(true, PSH | ACK, request, think / 2 + rng.below(think)));
        for _ in 0..1 + rng.below(3) {
            s.push(p(false, PSH | ACK, 300 + rng.below(1160) as u16, rtt));
        }
        s.push(p(true, ACK, 0, rtt));
    }
    let close_gap = think / 2 + rng.below(think);
    match kind {
        Kind::Reset => s.push(p(rng.below(2) == 0, RST | ACK, 0, close_gap)),
        Kind::ServerClosesFirst => {
            s.push(p(false, FIN | ACK, 0, close_gap));
            s.push(p(true, FIN | ACK, 0, rtt));
            s.push(p(false, ACK, 0, rtt));
        }
        _ => {
            s.push(p(true, FIN | ACK, 0, close_gap));
            s.push(p(false, FIN | ACK, 0, rtt));
            s.push(p(true, ACK, 0, rtt));
        }
    }
    s
}

fn pick_kind(rng: &mut Rng) -> Kind {
    let mut r = rng.below(100) as u32;
    for (k, w) in MIX {
        if r < w {
            return k;
        }
        r -= w;
    }
    Kind::Clean
}

fn new_conn(n: u64, now_us: u64, rng: &mut Rng, lifetime_us: u64) -> Conn {
    let kind = pick_kind(rng);
    // 5000 clients in 10.0.0.0/8 talking to 250 servers; each client's source ports cycle
    // through Linux's ephemeral range, so a 4-tuple comes back only after a long time.
    let c = 1 + rng.below(5000) as u32;
    let server = 1 + (rng.below(250)) as u8;
    Conn {
        client: [10, (c >> 16) as u8, (c >> 8) as u8, c as u8],
        server: [192, 168, 1, server],
        cport: 32768 + (n % 28_232) as u16,
        sport: [80, 443, 8080, 5432][rng.below(4) as usize],
        cseq: rng.next() as u32,
        sseq: rng.next() as u32,
        script: script(kind, rng, lifetime_us),
        next: 0,
        handshaken: false,
        due_us: now_us,
    }
}

fn checksum(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Ethernet + IPv4 + TCP (with MSS/SACK/TS/WS options on SYNs) into `buf`.
fn build(conn: &mut Conn, pkt: Pkt, ip_id: u16, buf: &mut Vec<u8>) {
    buf.clear();
    let (src, dst, sport, dport) = if pkt.from_client {
        (conn.client, conn.server, conn.cport, conn.sport)
    } else {
        (conn.server, conn.client, conn.sport, conn.cport)
    };
    let syn = pkt.flags & SYN != 0;
    let synack_again = syn && pkt.flags & ACK != 0 && conn.handshaken;
    let (seq, ack) = match (pkt.from_client, conn.handshaken) {
        // A retransmitted SYN-ACK carries the same ISN as the first.
        (false, true) if synack_again => (conn.sseq.wrapping_sub(1), conn.cseq),
        (true, _) => (conn.cseq, conn.sseq),
        (false, true) => (conn.sseq, conn.cseq),
        // Before the handshake the server answers the SYN: it acknowledges the client's ISN + 1,
        // and a refusing RST carries sequence number 0 (RFC 9293 §3.10.7.1).
        (false, false) if syn => (conn.sseq, conn.cseq.wrapping_add(1)),
        (false, false) => (0, conn.cseq.wrapping_add(1)),
    };
    let opts: &[u8] = if syn {
        &[
            2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ]
    } else {
        &[]
    };
    let tcp_len = 20 + opts.len();
    let total = 20 + tcp_len + usize::from(pkt.payload);
    buf.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let ip_start = buf.len();
    buf.extend_from_slice(&[0x45, 0]);
    buf.extend_from_slice(&(total as u16).to_be_bytes());
    buf.extend_from_slice(&ip_id.to_be_bytes());
    buf.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]);
    buf.extend_from_slice(&src);
    buf.extend_from_slice(&dst);
    let ipck = fold(checksum(0, &buf[ip_start..ip_start + 20]));
    buf[ip_start + 10..ip_start + 12].copy_from_slice(&ipck.to_be_bytes());
    let tcp_start = buf.len();
    buf.extend_from_slice(&sport.to_be_bytes());
    buf.extend_from_slice(&dport.to_be_bytes());
    buf.extend_from_slice(&seq.to_be_bytes());
    let ack_field = if pkt.flags & ACK != 0 { ack } else { 0 };
    buf.extend_from_slice(&ack_field.to_be_bytes());
    buf.push(((tcp_len / 4) as u8) << 4);
    buf.push(pkt.flags);
    // 64240 unscaled on SYNs; 502 << 7 (window scale 7) afterwards.
    let window: u16 = if syn { 64240 } else { 502 };
    buf.extend_from_slice(&window.to_be_bytes());
    buf.extend_from_slice(&[0, 0, 0, 0]);
    buf.extend_from_slice(opts);
    buf.resize(buf.len() + usize::from(pkt.payload), 0x61);
    let mut pseudo = checksum(0, &src);
    pseudo = checksum(pseudo, &dst);
    pseudo += 6 + tcp_len as u32 + u32::from(pkt.payload);
    let tck = fold(checksum(pseudo, &buf[tcp_start..]));
    buf[tcp_start + 16..tcp_start + 18].copy_from_slice(&tck.to_be_bytes());
    // Advance the sender's sequence number: SYN and FIN count one, data its length. A
    // retransmitted SYN reuses the ISN, so the SYN is counted when it is answered.
    let advance = u32::from(pkt.payload) + u32::from(pkt.flags & FIN != 0);
    if pkt.from_client {
        conn.cseq = conn.cseq.wrapping_add(advance);
    } else {
        conn.sseq = conn.sseq.wrapping_add(advance);
    }
    if syn && pkt.flags & ACK != 0 && !synack_again {
        conn.sseq = conn.sseq.wrapping_add(1);
        conn.cseq = conn.cseq.wrapping_add(1);
        conn.handshaken = true;
    }
}

struct Writer<W: Write> {
    out: W,
    format: OutFormat,
    written: u64,
}

impl<W: Write> Writer<W> {
    /// A writer whose file header is written.
    fn start(out: W, format: OutFormat) -> io::Result<Self> {
        let mut w = Writer {
            out,
            format,
            written: 0,
        };
        w.header()?;
        Ok(w)
    }

    fn header(&mut self) -> io::Result<()> {
        match self.format {
            OutFormat::Pcap => {
                let mut h = Vec::new();
                h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
                h.extend_from_slice(&2u16.to_le_bytes());
                h.extend_from_slice(&4u16.to_le_bytes());
                h.extend_from_slice(&[0; 8]);
                h.extend_from_slice(&262_144u32.to_le_bytes());
                h.extend_from_slice(&1u32.to_le_bytes());
                self.put(&h)
            }
            OutFormat::PcapNg => {
                let mut shb = Vec::new();
                shb.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
                shb.extend_from_slice(&28u32.to_le_bytes());
                shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
                shb.extend_from_slice(&1u16.to_le_bytes());
                shb.extend_from_slice(&0u16.to_le_bytes());
                shb.extend_from_slice(&u64::MAX.to_le_bytes());
                shb.extend_from_slice(&28u32.to_le_bytes());
                self.put(&shb)?;
                let mut idb = Vec::new();
                idb.extend_from_slice(&1u32.to_le_bytes());
                idb.extend_from_slice(&20u32.to_le_bytes());
                idb.extend_from_slice(&1u16.to_le_bytes());
                idb.extend_from_slice(&0u16.to_le_bytes());
                idb.extend_from_slice(&262_144u32.to_le_bytes());
                idb.extend_from_slice(&20u32.to_le_bytes());
                self.put(&idb)
            }
        }
    }

    fn packet(&mut self, ts_us: u64, data: &[u8]) -> io::Result<()> {
        let len = data.len() as u32;
        match self.format {
            OutFormat::Pcap => {
                let mut h = [0u8; 16];
                h[0..4].copy_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
                h[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
                h[8..12].copy_from_slice(&len.to_le_bytes());
                h[12..16].copy_from_slice(&len.to_le_bytes());
                self.put(&h)?;
                self.put(data)
            }
            OutFormat::PcapNg => {
                let pad = (4 - data.len() % 4) % 4;
                let total = (32 + data.len() + pad) as u32;
                let mut h = [0u8; 28];
                h[0..4].copy_from_slice(&6u32.to_le_bytes());
                h[4..8].copy_from_slice(&total.to_le_bytes());
                h[8..12].copy_from_slice(&0u32.to_le_bytes());
                h[12..16].copy_from_slice(&((ts_us >> 32) as u32).to_le_bytes());
                h[16..20].copy_from_slice(&(ts_us as u32).to_le_bytes());
                h[20..24].copy_from_slice(&len.to_le_bytes());
                h[24..28].copy_from_slice(&len.to_le_bytes());
                self.put(&h)?;
                self.put(data)?;
                self.put(&[0u8; 3][..pad])?;
                self.put(&total.to_le_bytes())
            }
        }
    }

    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.written += b.len() as u64;
        self.out.write_all(b)
    }
}

/// What was generated.
pub struct GenStats {
    pub packets: u64,
    pub connections: u64,
    pub bytes: u64,
}

/// A spoofed SYN flood: `cfg.rate` SYNs a second to 192.168.1.1:80, each from a random address
/// of 10.0.0.0/8 and port; the server answers each with a SYN-ACK 100 µs later and
/// retransmits it after 1 s and 3 s (Linux's tcp_synack_retries timing); no final ACK ever
/// comes. Every SYN is one half-open attempt, so the table holds all of them at once.
fn generate_flood(cfg: &GenConfig, out: impl Write) -> io::Result<GenStats> {
    let mut rng = Rng(cfg.seed.max(1));
    let mut w = Writer::start(out, cfg.format)?;
    let start_us = 1_700_000_000_000_000u64;
    let gap_us = (1e6 / cfg.rate.max(1.0)).max(1.0);
    // (due, SYN number, retry): SYN-ACKs waiting to be sent.
    let mut pending: BinaryHeap<Reverse<(u64, u64, u8)>> = BinaryHeap::new();
    let mut conns: std::collections::HashMap<u64, Conn> = std::collections::HashMap::new();
    let (mut packets, mut syns) = (0u64, 0u64);
    let mut buf = Vec::with_capacity(128);
    let mut next_syn_us = start_us;
    while w.written < cfg.bytes {
        let synack_first = pending
            .peek()
            .is_some_and(|Reverse((due, _, _))| *due <= next_syn_us);
        if synack_first {
            let Some(Reverse((due, n, retry))) = pending.pop() else {
                break;
            };
            let Some(conn) = conns.get_mut(&n) else {
                continue;
            };
            let pkt = Pkt {
                from_client: false,
                flags: SYN | ACK,
                payload: 0,
                gap_us: 0,
            };
            build(conn, pkt, packets as u16, &mut buf);
            w.packet(due, &buf)?;
            packets += 1;
            match retry {
                0 => pending.push(Reverse((due + 1_000_000, n, 1))),
                1 => pending.push(Reverse((due + 2_000_000, n, 2))),
                _ => {
                    conns.remove(&n);
                }
            }
            continue;
        }
        syns += 1;
        let c = rng.next() as u32;
        let mut conn = Conn {
            client: [10, (c >> 16) as u8, (c >> 8) as u8, c as u8],
            server: [192, 168, 1, 1],
            cport: 1024 + (rng.below(64_000) as u16),
            sport: 80,
            cseq: rng.next() as u32,
            sseq: rng.next() as u32,
            script: Vec::new(),
            next: 0,
            handshaken: false,
            due_us: next_syn_us,
        };
        let pkt = Pkt {
            from_client: true,
            flags: SYN,
            payload: 0,
            gap_us: 0,
        };
        build(&mut conn, pkt, packets as u16, &mut buf);
        w.packet(next_syn_us, &buf)?;
        packets += 1;
        pending.push(Reverse((next_syn_us + 100, syns, 0)));
        conns.insert(syns, conn);
        next_syn_us = start_us + (syns as f64 * gap_us) as u64;
    }
    w.out.flush()?;
    Ok(GenStats {
        packets,
        connections: syns,
        bytes: w.written,
    })
}

/// One connection: a handshake, the server's RST, then the client sending on regardless, an
/// ACK every microsecond (each with its own IP ID: no copy) until the size is reached: a
/// connection that finished and keeps receiving segments.
fn generate_after_rst(cfg: &GenConfig, out: impl Write) -> io::Result<GenStats> {
    let mut w = Writer::start(out, cfg.format)?;
    let mut conn = Conn {
        client: [10, 0, 0, 1],
        server: [192, 168, 1, 1],
        cport: 40000,
        sport: 80,
        cseq: 100,
        sseq: 500,
        script: Vec::new(),
        next: 0,
        handshaken: false,
        due_us: 0,
    };
    let p = |from_client, flags| Pkt {
        from_client,
        flags,
        payload: 0,
        gap_us: 0,
    };
    let mut now = 1_700_000_000_000_000u64;
    let mut buf = Vec::with_capacity(128);
    let mut packets = 0u64;
    for pkt in [
        p(true, SYN),
        p(false, SYN | ACK),
        p(true, ACK),
        p(false, RST | ACK),
    ] {
        build(&mut conn, pkt, packets as u16, &mut buf);
        w.packet(now, &buf)?;
        packets += 1;
        now += 100;
    }
    while w.written < cfg.bytes {
        build(&mut conn, p(true, ACK), packets as u16, &mut buf);
        w.packet(now, &buf)?;
        packets += 1;
        now += 1;
    }
    w.out.flush()?;
    Ok(GenStats {
        packets,
        connections: 1,
        bytes: w.written,
    })
}

/// Writes a capture of about `cfg.bytes` bytes.
pub fn generate(cfg: &GenConfig, out: impl Write) -> io::Result<GenStats> {
    match cfg.shape {
        Shape::Flood => return generate_flood(cfg, out),
        Shape::AfterRst => return generate_after_rst(cfg, out),
        Shape::Mix => {}
    }
    let mut rng = Rng(cfg.seed.max(1));
    let mut w = Writer::start(out, cfg.format)?;
    let start_us = 1_700_000_000_000_000u64;
    let mut now = start_us;
    let mut started = 0u64;
    let mut packets = 0u64;
    // Connections with a packet in the file (more are scheduled than the size lets start).
    let mut opened = 0u64;
    let live_n = cfg.live.max(1);
    let lifetime_us = (live_n as f64 / cfg.rate.max(0.001) * 1e6) as u64;
    // Openings spread over one lifetime, as in a server that has been running for a while.
    let spread = (lifetime_us / live_n as u64).max(1);
    let mut live: Vec<Conn> = (0..live_n)
        .map(|i| {
            started += 1;
            new_conn(started, now + i as u64 * spread, &mut rng, lifetime_us)
        })
        .collect();
    // The connection whose next packet is due first sends it; ties break by position.
    let mut due: BinaryHeap<Reverse<(u64, usize)>> = live
        .iter()
        .enumerate()
        .map(|(i, c)| Reverse((c.due_us, i)))
        .collect();
    let mut buf = Vec::with_capacity(2048);
    while w.written < cfg.bytes {
        let Some(Reverse((_, i))) = due.pop() else {
            break;
        };
        let conn = &mut live[i];
        let pkt = conn.script[conn.next];
        now = now.max(conn.due_us);
        opened += u64::from(conn.next == 0);
        build(conn, pkt, packets as u16, &mut buf);
        w.packet(now, &buf)?;
        packets += 1;
        conn.next += 1;
        if conn.next < conn.script.len() {
            conn.due_us = now + conn.script[conn.next].gap_us;
        } else {
            started += 1;
            let idle = rng.below(5_000);
            live[i] = new_conn(started, now + idle, &mut rng, lifetime_us);
        }
        due.push(Reverse((live[i].due_us, i)));
    }
    w.out.flush()?;
    Ok(GenStats {
        packets,
        connections: opened,
        bytes: w.written,
    })
}
