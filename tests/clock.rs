//! Wild clocks (CONTRACT.md, "Time"): real kernel captures with their timestamps broken the
//! ways real files break them: one frame far in the future, one with an invalid fraction, the
//! same trace twice in one file, two hosts' captures merged while their clocks disagree. No
//! connection may expire, split or merge because of it; the anomalies are counted (CQ008).

mod common;

use common::testdata;
use std::io::Cursor;
use synack::analyze::{run, CaptureResult, Options};
use synack::capture::CaptureReader;
use synack::flow::Flow;
use synack::tcp::Dir;

/// The records of a microsecond little-endian pcap: (seconds, microseconds, the rest).
struct Pcap {
    header: Vec<u8>,
    records: Vec<(u32, u32, Vec<u8>)>,
}

fn read(name: &str) -> Pcap {
    let bytes = std::fs::read(testdata(name)).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "{name}: not LE µs pcap"
    );
    let (header, mut rest) = bytes.split_at(24);
    let mut records = Vec::new();
    while rest.len() >= 16 {
        let le = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap());
        let caplen = le(&rest[8..12]) as usize;
        records.push((
            le(&rest[0..4]),
            le(&rest[4..8]),
            rest[8..16 + caplen].to_vec(),
        ));
        rest = &rest[16 + caplen..];
    }
    Pcap {
        header: header.to_vec(),
        records,
    }
}

fn write(p: &Pcap) -> Vec<u8> {
    let mut out = p.header.clone();
    for (s, us, rest) in &p.records {
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&us.to_le_bytes());
        out.extend_from_slice(rest);
    }
    out
}

fn analyse(bytes: Vec<u8>) -> (CaptureResult, Vec<Flow>) {
    let reader = CaptureReader::from_read(Cursor::new(bytes)).unwrap();
    let mut conns = Vec::new();
    let res = run("mem".into(), reader, Options::default(), |c| {
        conns.push(c);
        std::ops::ControlFlow::Continue(())
    });
    conns.sort_by_key(|c| c.id);
    (res, conns)
}

/// What must not change: each connection's id, endpoints, final states and counts.
fn view(conns: &[Flow]) -> Vec<String> {
    conns
        .iter()
        .map(|c| {
            let (o, r) = (c.side(Dir::Orig), c.side(Dir::Resp));
            format!(
                "{} {}->{} {}/{} pkts {}/{} syn-rtx {} synack-rtx {} {}",
                c.id,
                c.orig,
                c.resp,
                o.state,
                r.state,
                o.packets,
                r.packets,
                o.syn.retransmits(),
                r.synack.retransmits(),
                c.zeek_fields().history
            )
        })
        .collect()
}

#[test]
fn one_frame_far_in_the_future_changes_nothing_else() {
    // port-reuse-time-wait: a connection, its TIME-WAIT, and the same 4-tuple reused within a
    // second: a clock pushed a century ahead would end that TIME-WAIT and split everything.
    let p = read("kernel/port-reuse-time-wait.pcap");
    let (_, want) = analyse(write(&p));
    for k in 1..p.records.len() - 1 {
        let mut q = read("kernel/port-reuse-time-wait.pcap");
        q.records[k].0 = 4_000_000_000; // the year 2096
        let (res, got) = analyse(write(&q));
        assert_eq!(view(&got), view(&want), "frame {} in 2096", k + 1);
        assert_eq!(res.capture.stats.clock_anomalies, 1, "frame {}", k + 1);
    }
}

#[test]
fn an_invalid_fraction_of_a_second_is_an_anomaly() {
    let mut p = read("kernel/port-reuse-time-wait.pcap");
    let (_, want) = analyse(write(&p));
    p.records[2].1 = 2_147_483_648; // tcpdump: "(invalid us)"
    p.records[4].1 = 1_000_000;
    let (res, got) = analyse(write(&p));
    assert_eq!(view(&got), view(&want));
    assert_eq!(res.capture.stats.clock_anomalies, 2);
}

#[test]
fn the_same_trace_twice_is_each_connection_twice() {
    // close-wait-keepalive lasts 10 s and never finishes (the server stays in CLOSE-WAIT): the
    // second copy's SYN, 10 s back in time, is no retransmission of the first.
    let p = read("kernel/close-wait-keepalive.pcap");
    let (_, once) = analyse(write(&p));
    let mut twice = read("kernel/close-wait-keepalive.pcap");
    twice.records.extend(p.records.iter().cloned());
    let (res, got) = analyse(write(&twice));
    assert_eq!(got.len(), 2 * once.len());
    let states = |c: &Flow| (c.side(Dir::Orig).state, c.side(Dir::Resp).state);
    for (a, b) in got.iter().zip(got.iter().skip(once.len())) {
        assert_eq!(states(a), states(b));
        assert_eq!(states(a), states(&once[0]));
        assert_eq!(a.side(Dir::Orig).syn.retransmits(), 0);
        assert_eq!(b.side(Dir::Orig).packets, a.side(Dir::Orig).packets);
    }
    assert!(res.capture.stats.clock_anomalies > 0);
}

#[test]
fn two_hosts_with_clocks_apart_keep_their_connections() {
    // normal-close and server-close-first, interleaved in the order they happened, the second
    // host's clock 30 s behind: every one of its frames goes back 30 s. Neither connection may
    // be taken for idle or lose its TIME-WAIT by the other host's clock.
    let a = read("kernel/normal-close.pcap");
    let b = read("kernel/server-close-first.pcap");
    let (_, want_a) = analyse(write(&a));
    let (_, want_b) = analyse(write(&b));
    let base_a = a.records[0].0;
    let base_b = b.records[0].0;
    let mut merged = Pcap {
        header: a.header.clone(),
        records: Vec::new(),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.records.len() || j < b.records.len() {
        let take_a = j >= b.records.len()
            || (i < a.records.len()
                && (a.records[i].0 - base_a, a.records[i].1)
                    <= (b.records[j].0 - base_b, b.records[j].1));
        if take_a {
            merged.records.push(a.records[i].clone());
            i += 1;
        } else {
            let (s, us, rest) = b.records[j].clone();
            merged.records.push((s - base_b + base_a - 30, us, rest));
            j += 1;
        }
    }
    let (res, got) = analyse(write(&merged));
    assert_eq!(got.len(), 2);
    let by_port = |port: u16| got.iter().find(|c| c.resp.port == port).unwrap();
    let states = |c: &Flow| (c.side(Dir::Orig).state, c.side(Dir::Resp).state);
    assert_eq!(states(by_port(want_a[0].resp.port)), states(&want_a[0]));
    assert_eq!(states(by_port(want_b[0].resp.port)), states(&want_b[0]));
    assert!(res.capture.stats.clock_anomalies as usize >= b.records.len() - 1);
}
