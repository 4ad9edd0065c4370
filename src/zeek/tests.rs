//! Zeek's conn_state and history on hand-made exchanges, each checked against what Zeek's code
//! (docs/zeek-rules.md) makes of it. Real baselines are compared in tests/conformance.rs.
use super::conn_state::rstos0_history;
use super::*;
use crate::decode::TcpSegment;
use crate::decode::{Endpoint, TcpFlags};
use crate::tcp::SeqNum;
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr};

const C: Endpoint = Endpoint {
    addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    port: 40000,
};
const S: Endpoint = Endpoint {
    addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    port: 80,
};

/// (from_client, flags, seq, ack, len, window)
type Pkt = (bool, u16, u32, u32, u32, u16);

fn run(pkts: &[Pkt]) -> ZeekFields {
    let mut z: Option<ZeekConn> = None;
    let first_client = pkts[0].0;
    for (i, &(from_client, flags, seq, ack, len, window)) in pkts.iter().enumerate() {
        let (src, dst) = if from_client { (C, S) } else { (S, C) };
        let seg = TcpSegment {
            frame: i as u64 + 1,
            ts: Timestamp::from_nanos(i as i64 * 1_000_000),
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            window,
            ..TcpSegment::test(src, dst, flags, len)
        };
        // Host 0 is the client.
        let host = usize::from(!from_client);
        z.get_or_insert_with(|| ZeekConn::new(&seg, usize::from(!first_client)))
            .on_segment(&seg, host);
    }
    z.unwrap().fields()
}

const SYN: u16 = TcpFlags::SYN;
const ACK: u16 = TcpFlags::ACK;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;
const W: u16 = 1000;

#[track_caller]
fn check(pkts: &[Pkt], conn_state: &str, history: &str) {
    let f = run(pkts);
    assert_eq!(
        (f.conn_state.name(), f.history.as_str()),
        (conn_state, history)
    );
}

#[test]
fn lone_syn_is_s0() {
    check(&[(true, SYN, 100, 0, 0, W)], "S0", "S");
}

#[test]
fn syn_ack_alone_makes_both_established() {
    check(
        &[
            (true, SYN, 100, 0, 0, W),
            (false, SYN | ACK, 900, 101, 0, W),
        ],
        "S1",
        "Sh",
    );
}

#[test]
fn refused_is_rej() {
    check(
        &[(true, SYN, 100, 0, 0, W), (false, RST | ACK, 0, 101, 0, W)],
        "REJ",
        "Sr",
    );
}

#[test]
fn syn_then_originator_rst_is_rstos0() {
    check(
        &[(true, SYN, 100, 0, 0, W), (true, RST, 101, 0, 0, W)],
        "RSTOS0",
        "SR",
    );
}

#[test]
fn full_exchange_is_sf() {
    let f = run(&[
        (true, SYN, 100, 0, 0, W),
        (false, SYN | ACK, 900, 101, 0, W),
        (true, ACK, 101, 901, 0, W),
        (true, ACK, 101, 901, 10, W),
        (false, ACK, 901, 111, 20, W),
        (true, FIN | ACK, 111, 921, 0, W),
        (false, FIN | ACK, 921, 112, 0, W),
        (true, ACK, 112, 922, 0, W),
    ]);
    assert_eq!((f.conn_state.name(), f.history.as_str()), ("SF", "ShADdFf"));
    assert_eq!((f.orig_bytes, f.resp_bytes), (Some(10), Some(20)));
    assert_eq!((f.orig_pkts, f.resp_pkts), (5, 3));
}

#[test]
fn retransmitted_data_is_t_once_then_at_ten() {
    let mut p = vec![
        (true, SYN, 100, 0, 0, W),
        (false, SYN | ACK, 900, 101, 0, W),
        (true, ACK, 101, 901, 10, W),
    ];
    for _ in 0..10 {
        p.push((true, ACK, 101, 901, 10, W));
    }
    check(&p, "S1", "ShDTT");
}

#[test]
fn zero_window_is_w() {
    check(
        &[
            (true, SYN, 100, 0, 0, W),
            (false, SYN | ACK, 900, 101, 0, W),
            (true, ACK, 101, 901, 0, 0),
        ],
        "S1",
        "ShAW",
    );
}

#[test]
fn syn_ack_first_then_ack_flips_to_caret_h() {
    // Port 80 is a likely server port: Zeek flips at creation.
    let f = run(&[
        (false, SYN | ACK, 900, 101, 0, W),
        (true, ACK, 101, 901, 0, W),
    ]);
    assert_eq!(f.history, "^hA");
    assert!(!f.flipped, "Zeek's orig is the client, as synack's");
}

#[test]
fn gap_acknowledged_is_missed_bytes() {
    let f = run(&[
        (true, SYN, 100, 0, 0, W),
        (false, SYN | ACK, 900, 101, 0, W),
        (true, ACK, 101, 901, 0, W),
        // 50 bytes from the server never captured, then acknowledged.
        (false, ACK, 951, 101, 10, W),
        (true, ACK, 101, 961, 0, W),
    ]);
    assert_eq!(f.missed_bytes, 50);
    assert_eq!(f.history, "ShAdg");
}

#[test]
fn rst_after_both_fins_keeps_sf() {
    check(
        &[
            (true, SYN, 100, 0, 0, W),
            (false, SYN | ACK, 900, 101, 0, W),
            (true, ACK, 101, 901, 0, W),
            (true, FIN | ACK, 101, 901, 0, W),
            (false, FIN | ACK, 901, 102, 0, W),
            (true, RST, 102, 0, 0, W),
        ],
        "SF",
        "ShAFfR",
    );
}

#[test]
fn rstos0_pattern_is_anchored() {
    assert!(rstos0_history("SR"));
    assert!(rstos0_history("^SaR"));
    assert!(rstos0_history("STR"));
    assert!(!rstos0_history("SAR"));
    assert!(!rstos0_history("R"));
    assert!(!rstos0_history("SF"));
}
