//! One test per link type or encapsulation, on hand-built frames: each checks that the TCP header
//! comes out whole. Real captures of each kind are checked in tests/conformance.rs.
use super::*;
use crate::capture::LinkType;
use etherparse::{PacketBuilder, TcpOptionElement as Opt};

const PAYLOAD: &[u8] = b"hello";

/// An IPv4 TCP SYN with MSS, window scale, SACK-permitted and timestamps, as IP bytes.
fn ipv4_syn() -> Vec<u8> {
    let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(51000, 80, 1000, 64240)
        .syn()
        .options(&[
            Opt::MaximumSegmentSize(1460),
            Opt::SelectiveAcknowledgementPermitted,
            Opt::Timestamp(77, 0),
            Opt::Noop,
            Opt::WindowScale(7),
        ])
        .unwrap();
    let mut out = Vec::new();
    b.write(&mut out, PAYLOAD).unwrap();
    out
}

fn ipv6_ack() -> Vec<u8> {
    let b = PacketBuilder::ipv6([0x20; 16], [0x21; 16], 64)
        .tcp(443, 40000, 5, 1024)
        .ack(99);
    let mut out = Vec::new();
    b.write(&mut out, PAYLOAD).unwrap();
    out
}

fn ether(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ty.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn frame(link: LinkType, data: &[u8]) -> Decoded {
    decode(&Frame {
        number: 7,
        ts: Timestamp::from_nanos(42),
        link,
        data,
        orig_len: data.len() as u32,
        ts_invalid: false,
    })
}

#[track_caller]
fn tcp(d: Decoded) -> TcpSegment {
    match d {
        Decoded::Tcp(s) => s,
        other => panic!("expected a TCP segment, got {other:?}"),
    }
}

#[track_caller]
fn assert_v4_syn(d: Decoded) {
    let s = tcp(d);
    assert_eq!(s.frame, 7);
    assert_eq!(s.ts, Timestamp::from_nanos(42));
    assert_eq!(s.src.to_string(), "10.0.0.1:51000");
    assert_eq!(s.dst.to_string(), "10.0.0.2:80");
    assert_eq!(s.seq, SeqNum(1000));
    assert!(s.flags.syn() && !s.flags.ack());
    assert_eq!(s.window, 64240);
    assert_eq!(s.payload_len, PAYLOAD.len() as u32);
    assert_eq!(
        s.options,
        SynOptions {
            mss: Some(1460),
            wscale: Some(7),
            sack_permitted: true,
            timestamps: true
        }
    );
    assert!(!s.truncated);
}

#[test]
fn ethernet_ipv4() {
    assert_v4_syn(frame(LinkType::ETHERNET, &ether(0x0800, &ipv4_syn())));
}

#[test]
fn ethernet_ipv6() {
    let s = tcp(frame(LinkType::ETHERNET, &ether(0x86dd, &ipv6_ack())));
    assert_eq!(
        s.src.to_string(),
        "[2020:2020:2020:2020:2020:2020:2020:2020]:443"
    );
    assert!(s.flags.ack());
    assert_eq!(s.ack, SeqNum(99));
    assert_eq!(
        s.options,
        SynOptions::default(),
        "options are decoded on SYNs only"
    );
}

#[test]
fn vlan_stacks_qinq() {
    let mut inner = vec![0x00, 0x14, 0x08, 0x00]; // C-tag 20, then IPv4
    inner.extend(ipv4_syn());
    let mut outer = vec![0x00, 0x0a, 0x81, 0x00]; // S-tag 10, then a C-tag
    outer.extend(inner);
    assert_v4_syn(frame(LinkType::ETHERNET, &ether(0x88a8, &outer)));
}

#[test]
fn mpls_label_stack() {
    let mut p = vec![0x00, 0x01, 0x00, 0xff, 0x00, 0x02, 0x01, 0xff]; // two labels, S on the 2nd
    p.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::ETHERNET, &ether(0x8847, &p)));
}

#[test]
fn mpls_pseudowire_with_control_word() {
    let mut p = vec![0x00, 0x01, 0x01, 0xff, 0, 0, 0, 0];
    p.extend(ether(0x0800, &ipv4_syn()));
    assert_v4_syn(frame(LinkType::ETHERNET, &ether(0x8847, &p)));
}

#[test]
fn pppoe_session() {
    let ip = ipv4_syn();
    let mut p = vec![0x11, 0x00, 0x12, 0x34];
    p.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
    p.extend_from_slice(&[0x00, 0x21]);
    p.extend(ip);
    assert_v4_syn(frame(LinkType::ETHERNET, &ether(0x8864, &p)));
    // PPP LCP is not IP.
    let lcp = [0x11, 0x00, 0x12, 0x34, 0x00, 0x04, 0xc0, 0x21, 1, 2];
    assert_eq!(
        frame(LinkType::ETHERNET, &ether(0x8864, &lcp)),
        Decoded::NotTcp(NotTcp::NotIp)
    );
}

#[test]
fn fabricpath() {
    let mut p = vec![0x00, 0x3f]; // FTag/TTL
    p.extend(ether(0x0800, &ipv4_syn()));
    assert_v4_syn(frame(LinkType::ETHERNET, &ether(0x8903, &p)));
}

#[test]
fn ieee802_3_snap() {
    let ip = ipv4_syn();
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    f.extend_from_slice(&((ip.len() + 8) as u16).to_be_bytes());
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
    f.extend(ip);
    assert_v4_syn(frame(LinkType::ETHERNET, &f));
    let stp = ether(0x0026, &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
    assert_eq!(
        frame(LinkType::ETHERNET, &stp),
        Decoded::NotTcp(NotTcp::NotIp)
    );
}

#[test]
fn raw_ip_and_its_aliases() {
    for link in [
        LinkType::RAW,
        LinkType::RAW_12,
        LinkType::RAW_14,
        LinkType::IPV4,
    ] {
        assert_v4_syn(frame(link, &ipv4_syn()));
    }
    tcp(frame(LinkType::IPV6, &ipv6_ack()));
}

#[test]
fn null_in_either_byte_order_and_loop() {
    let mut le = 2u32.to_le_bytes().to_vec();
    le.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::NULL, &le));
    let mut be = 2u32.to_be_bytes().to_vec();
    be.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::NULL, &be));
    for af6 in [10u32, 24, 28, 30] {
        let mut v6 = af6.to_le_bytes().to_vec();
        v6.extend(ipv6_ack());
        tcp(frame(LinkType::NULL, &v6));
    }
    let mut lp = 2u32.to_be_bytes().to_vec();
    lp.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::LOOP, &lp));
}

#[test]
fn linux_cooked_v1_and_v2() {
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::LINUX_SLL, &sll));
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::LINUX_SLL2, &sll2));
}

#[test]
fn nflog_payload_tlv() {
    let ip = ipv4_syn();
    let mut f = vec![2, 0, 0, 42];
    f.extend_from_slice(&8u16.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&[0x08, 0x00, 0x01, 0x00]);
    f.extend_from_slice(&((ip.len() + 4) as u16).to_le_bytes());
    f.extend_from_slice(&9u16.to_le_bytes());
    f.extend(ip);
    assert_v4_syn(frame(LinkType::NFLOG, &f));
}

#[test]
fn ipoib_and_arcnet() {
    let mut ib = vec![0u8; 40];
    ib.extend_from_slice(&[0x08, 0x00, 0, 0]);
    ib.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::IPOIB, &ib));
    let mut arc = vec![0x50, 0xbe, 0, 0, 0xd4, 0, 0, 1];
    arc.extend(ipv4_syn());
    assert_v4_syn(frame(LinkType::ARCNET_LINUX, &arc));
}

#[test]
fn tunnels_ip_in_ip_and_gre() {
    let inner = ipv4_syn();
    let mut outer = Vec::new();
    PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .write(&mut outer, IpNumber::IPV4, &inner)
        .unwrap();
    assert_v4_syn(frame(LinkType::RAW, &outer));
    let mut gre = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 9]; // key present
    gre.extend(ipv4_syn());
    let mut outer = Vec::new();
    PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .write(&mut outer, IpNumber::GRE, &gre)
        .unwrap();
    assert_v4_syn(frame(LinkType::RAW, &outer));
}

#[test]
fn unsupported_link_type() {
    assert_eq!(
        frame(LinkType(147), &ipv4_syn()),
        Decoded::Undecodable(Undecodable::UnsupportedLink)
    );
}

#[test]
fn snap_length_cut_keeps_the_header_and_the_ip_length() {
    let full = ether(0x0800, &ipv4_syn());
    // Cut inside the TCP options: fixed header complete, options partly there.
    let cut = &full[..14 + 20 + 26];
    let d = decode(&Frame {
        number: 1,
        ts: Timestamp::from_nanos(0),
        link: LinkType::ETHERNET,
        data: cut,
        orig_len: full.len() as u32,
        ts_invalid: false,
    });
    let s = tcp(d);
    assert!(s.truncated);
    assert_eq!(
        s.payload_len,
        PAYLOAD.len() as u32,
        "from the IP header, not the capture"
    );
    assert_eq!(s.options.mss, Some(1460));
    assert_eq!(s.options.wscale, None, "cut off");
    // Cut inside the fixed TCP header: undecodable, counted as truncated.
    let d = decode(&Frame {
        number: 1,
        ts: Timestamp::from_nanos(0),
        link: LinkType::ETHERNET,
        data: &full[..14 + 20 + 10],
        orig_len: full.len() as u32,
        ts_invalid: false,
    });
    assert_eq!(d, Decoded::Undecodable(Undecodable::Truncated));
}

#[test]
fn ip_fragments_are_not_tcp() {
    let mut ip = ipv4_syn();
    ip[6] = 0x20; // more fragments
    ip[10] = 0;
    ip[11] = 0;
    assert_eq!(frame(LinkType::RAW, &ip), Decoded::NotTcp(NotTcp::Fragment));
    ip[6] = 0x00;
    ip[7] = 0x10; // offset 128, last fragment
    assert_eq!(frame(LinkType::RAW, &ip), Decoded::NotTcp(NotTcp::Fragment));
}

#[test]
fn icmp_errors_quoting_tcp_are_not_segments() {
    let quoted = ipv4_syn();
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0]; // destination unreachable, port unreachable
    icmp.extend_from_slice(&quoted[..28]);
    let mut ip = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64)
        .write(&mut ip, IpNumber::ICMP, &icmp)
        .unwrap();
    // Counted as not TCP, but carrying what it quotes: ports and sequence number only (8
    // bytes of the TCP header), so the flags are unknown.
    let Decoded::NotTcp(NotTcp::IcmpQuote(q)) = frame(LinkType::RAW, &ip) else {
        panic!("not a quote");
    };
    let syn = tcp(frame(LinkType::RAW, &quoted));
    assert_eq!((q.src, q.dst, q.seq), (syn.src, syn.dst, syn.seq));
    let u = q.icmp.unwrap();
    assert!(!u.flags_quoted && !u.v6 && u.is_hard());
    assert_eq!(u.name(), "port unreachable");
    let mut st = DecodeStats::default();
    st.count(&Decoded::NotTcp(NotTcp::IcmpQuote(q)));
    assert_eq!((st.non_tcp, st.tcp_segments), (1, 0));

    // The whole header quoted (Linux quotes as much as fits): its flags are known.
    let mut icmp = vec![3, 1, 0, 0, 0, 0, 0, 0]; // host unreachable: soft
    icmp.extend_from_slice(&quoted);
    let mut ip = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 254], [10, 0, 0, 1], 64)
        .write(&mut ip, IpNumber::ICMP, &icmp)
        .unwrap();
    let Decoded::NotTcp(NotTcp::IcmpQuote(q)) = frame(LinkType::RAW, &ip) else {
        panic!("not a quote");
    };
    assert!(q.flags.syn() && q.icmp.unwrap().flags_quoted && !q.icmp.unwrap().is_hard());

    // Other ICMP (an echo request) is just not TCP.
    let mut ip = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64)
        .write(&mut ip, IpNumber::ICMP, &[8, 0, 0, 0, 0, 1, 0, 1])
        .unwrap();
    assert_eq!(frame(LinkType::RAW, &ip), Decoded::NotTcp(NotTcp::OtherIp));
}

#[test]
fn tso_zero_total_length_falls_back_to_the_capture() {
    let mut ip = ipv4_syn();
    ip[2] = 0;
    ip[3] = 0;
    let s = tcp(frame(LinkType::RAW, &ip));
    assert_eq!(s.payload_len, PAYLOAD.len() as u32);
}

#[test]
fn bad_data_offset_is_malformed() {
    let mut ip = ipv4_syn();
    ip[20 + 12] = 0x30; // data offset 3 words
    assert_eq!(
        frame(LinkType::RAW, &ip),
        Decoded::Undecodable(Undecodable::Malformed)
    );
}

#[test]
fn every_prefix_decodes_without_panic() {
    let full = ether(0x8100, &[&[0, 5, 0x08, 0x00][..], &ipv4_syn()].concat());
    for n in 0..=full.len() {
        let _ = decode(&Frame {
            number: 1,
            ts: Timestamp::from_nanos(0),
            link: LinkType::ETHERNET,
            data: &full[..n],
            orig_len: full.len() as u32,
            ts_invalid: false,
        });
    }
}

#[test]
fn stats_partition_the_frames() {
    let mut st = DecodeStats::default();
    st.count(&frame(LinkType::RAW, &ipv4_syn()));
    st.count(&Decoded::NotTcp(NotTcp::Fragment));
    st.count(&Decoded::Undecodable(Undecodable::UnsupportedLink));
    assert_eq!(st.packets, st.tcp_segments + st.non_tcp + st.undecodable);
    assert_eq!((st.ip_fragments, st.unsupported_link), (1, 1));
}

#[test]
fn flags_print_like_tcpdump() {
    assert_eq!(TcpFlags(TcpFlags::SYN | TcpFlags::ACK).to_string(), "S.");
    assert_eq!(
        TcpFlags(TcpFlags::FIN | TcpFlags::PSH | TcpFlags::ACK).to_string(),
        "FP."
    );
    assert_eq!(TcpFlags(0).to_string(), "none");
}

#[test]
fn options_after_an_unknown_kind_are_read_by_its_length() {
    // tcpdump/accecn_handshake.pcap's SYN-ACK: mss, sackOK, TS, an experimental AccECN option
    // (kind 254, ExID 0xACC0) and then the window scale.
    let opts = [
        2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 254, 11, 0xac, 0xc0, 0, 0, 0, 0, 0,
        0, 0, 1, 3, 3, 7,
    ];
    let o = super::syn_options(&opts);
    assert_eq!(o.mss, Some(1460));
    assert!(o.sack_permitted);
    assert!(o.timestamps);
    assert_eq!(o.wscale, Some(7), "read after kind 254");
    // TFO (34) with a cookie, MPTCP (30), TCP-AO (29) before the window scale.
    let o = super::syn_options(&[
        34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 30, 4, 0, 0, 29, 4, 0, 0, 3, 3, 9,
    ]);
    assert_eq!(o.wscale, Some(9));
    // A length below 2, or past what was captured, ends the walk without a panic.
    assert_eq!(super::syn_options(&[99, 1, 3, 3, 7]).wscale, None);
    assert_eq!(super::syn_options(&[99, 40, 3, 3, 7]).wscale, None);
    assert_eq!(
        super::syn_options(&[3, 3]).wscale,
        None,
        "cut inside the option"
    );
    assert_eq!(
        super::syn_options(&[0, 3, 3, 7]).wscale,
        None,
        "after End of List"
    );
}
