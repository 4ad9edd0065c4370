//! Which side Zeek calls the originator: the likely-server-port rule for a connection picked up
//! without its SYN.

use crate::decode::TcpSegment;

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
