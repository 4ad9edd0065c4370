//! Link layers and the encapsulations under them, down to the first IP header.

use super::{be16, Decoded, NotTcp, Undecodable};
use crate::capture::LinkType;

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: [u16; 3] = [0x9100, 0x9200, 0x9300];
const ETH_MPLS_UC: u16 = 0x8847;
const ETH_MPLS_MC: u16 = 0x8848;
const ETH_PPPOE_SESSION: u16 = 0x8864;
const ETH_FABRICPATH: u16 = 0x8903;
const ETH_TEB: u16 = 0x6558;

const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

const SHORT: Decoded = Decoded::Undecodable(Undecodable::Truncated);
const NOT_IP: Decoded = Decoded::NotTcp(NotTcp::NotIp);
const MALFORMED: Decoded = Decoded::Undecodable(Undecodable::Malformed);

/// The bytes of the first IP header in a frame of link type `link`.
pub(super) fn network_layer(link: LinkType, data: &[u8]) -> Result<&[u8], Decoded> {
    match link {
        LinkType::ETHERNET => ethernet(data),
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 => raw_ip(data),
        LinkType::IPV4 | LinkType::IPV6 => raw_ip(data),
        // 4-byte address family in the capturing host's byte order.
        LinkType::NULL => {
            let af = data.get(..4).ok_or(SHORT)?;
            let le = u32::from_le_bytes([af[0], af[1], af[2], af[3]]);
            let af = if le > 0xffff { le.swap_bytes() } else { le };
            address_family(af, &data[4..])
        }
        // OpenBSD loopback: the address family in network byte order.
        LinkType::LOOP => {
            let af = data.get(..4).ok_or(SHORT)?;
            address_family(u32::from_be_bytes([af[0], af[1], af[2], af[3]]), &data[4..])
        }
        // Linux cooked v1: 16 bytes, protocol (an ethertype) last.
        LinkType::LINUX_SLL => {
            let proto = be16(data, 14).ok_or(SHORT)?;
            by_ethertype(proto, &data[16..])
        }
        // Linux cooked v2: 20 bytes, protocol first.
        LinkType::LINUX_SLL2 => {
            let proto = be16(data, 0).ok_or(SHORT)?;
            data.get(20..)
                .ok_or(SHORT)
                .and_then(|p| by_ethertype(proto, p))
        }
        LinkType::NFLOG => nflog(data),
        // IP over InfiniBand (RFC 4391): 20-byte destination, 20-byte source, type, reserved.
        LinkType::IPOIB => {
            let proto = be16(data, 40).ok_or(SHORT)?;
            data.get(44..)
                .ok_or(SHORT)
                .and_then(|p| by_ethertype(proto, p))
        }
        LinkType::ARCNET_LINUX => arcnet_linux(data),
        _ => Err(Decoded::Undecodable(Undecodable::UnsupportedLink)),
    }
}

fn raw_ip(data: &[u8]) -> Result<&[u8], Decoded> {
    match data.first().map(|b| b >> 4) {
        Some(4 | 6) => Ok(data),
        Some(_) => Err(MALFORMED),
        None => Err(SHORT),
    }
}

/// BSD address families: AF_INET is 2 everywhere, AF_INET6 differs per system.
fn address_family(af: u32, payload: &[u8]) -> Result<&[u8], Decoded> {
    match af {
        2 => Ok(payload),
        // Linux, NetBSD/OpenBSD, FreeBSD, Darwin.
        10 | 24 | 28 | 30 => Ok(payload),
        _ => Err(NOT_IP),
    }
}

fn ethernet(data: &[u8]) -> Result<&[u8], Decoded> {
    let ty = be16(data, 12).ok_or(SHORT)?;
    if ty >= 0x0600 {
        return by_ethertype(ty, &data[14..]);
    }
    // 802.3 length field: only LLC/SNAP with an ethertype can carry IP.
    match data.get(14..22) {
        Some([0xaa, 0xaa, 0x03, 0, 0, 0, hi, lo]) => {
            by_ethertype(u16::from_be_bytes([*hi, *lo]), &data[22..])
        }
        Some(_) => Err(NOT_IP),
        None if data.len() > 14 => Err(NOT_IP),
        None => Err(SHORT),
    }
}

/// Follows tags and shims (VLAN stacks, MPLS, PPPoE, FabricPath) to an IP header. Every step
/// consumes bytes, so the walk ends.
pub(super) fn by_ethertype(mut ty: u16, mut p: &[u8]) -> Result<&[u8], Decoded> {
    loop {
        match ty {
            ETH_IPV4 | ETH_IPV6 => return Ok(p),
            ETH_VLAN | ETH_QINQ => {
                ty = be16(p, 2).ok_or(SHORT)?;
                p = &p[4..];
            }
            t if ETH_QINQ_OLD.contains(&t) => {
                ty = be16(p, 2).ok_or(SHORT)?;
                p = &p[4..];
            }
            ETH_MPLS_UC | ETH_MPLS_MC => {
                // Label stack entries until the bottom-of-stack bit.
                loop {
                    let entry = p.get(..4).ok_or(SHORT)?;
                    let bottom = entry[2] & 1 == 1;
                    p = &p[4..];
                    if bottom {
                        break;
                    }
                }
                match p.first().map(|b| b >> 4) {
                    Some(4 | 6) => return Ok(p),
                    // A pseudowire control word, then an Ethernet frame.
                    Some(0) => {
                        let inner = p.get(4..).ok_or(SHORT)?;
                        ty = be16(inner, 12).ok_or(SHORT)?;
                        p = &inner[14..];
                    }
                    Some(_) => return Err(NOT_IP),
                    None => return Err(SHORT),
                }
            }
            ETH_PPPOE_SESSION => {
                // Version/type, code, session id, length, then the PPP protocol.
                let proto = be16(p, 6).ok_or(SHORT)?;
                p = &p[8..];
                return match proto {
                    PPP_IPV4 | PPP_IPV6 => Ok(p),
                    _ => Err(NOT_IP),
                };
            }
            // FabricPath: the rest of the 16-byte outer header (FTag, TTL), then classic Ethernet.
            ETH_FABRICPATH => {
                ty = be16(p, 14).ok_or(SHORT)?;
                p = &p[16..];
            }
            ETH_TEB => {
                ty = be16(p, 12).ok_or(SHORT)?;
                p = &p[14..];
            }
            _ => return Err(NOT_IP),
        }
    }
}

/// GRE (RFC 2784/2890) header → the payload's ethertype. Enhanced GRE (PPTP) carries PPP, which
/// is not followed.
pub(super) fn gre(p: &[u8]) -> Result<&[u8], Decoded> {
    let flags = be16(p, 0).ok_or(SHORT)?;
    let proto = be16(p, 2).ok_or(SHORT)?;
    if flags & 0x7 != 0 {
        return Err(NOT_IP);
    }
    let mut len = 4;
    for bit in [0x8000, 0x2000, 0x1000] {
        if flags & bit != 0 {
            len += 4;
        }
    }
    by_ethertype(proto, p.get(len..).ok_or(SHORT)?)
}

/// NFLOG: a 4-byte header (family, version, resource id) then TLVs whose length and type are in
/// the capturing host's byte order; the packet is the NFULA_PAYLOAD (9) attribute.
fn nflog(data: &[u8]) -> Result<&[u8], Decoded> {
    const NFULA_PAYLOAD: u16 = 9;
    let family = *data.first().ok_or(SHORT)?;
    let mut rest = data.get(4..).ok_or(SHORT)?;
    while rest.len() >= 4 {
        let le_len = u16::from_le_bytes([rest[0], rest[1]]);
        let le_ty = u16::from_le_bytes([rest[2], rest[3]]);
        // Attribute types are small; the byte order that keeps them small is the host's.
        let (len, ty) = if le_ty & 0x7fff < 0x100 {
            (le_len, le_ty)
        } else {
            (
                u16::from_be_bytes([rest[0], rest[1]]),
                u16::from_be_bytes([rest[2], rest[3]]),
            )
        };
        let len = usize::from(len);
        if len < 4 {
            return Err(MALFORMED);
        }
        if ty & 0x7fff == NFULA_PAYLOAD {
            let end = len.min(rest.len());
            let payload = &rest[4..end];
            return match family {
                2 | 10 => raw_ip(payload),
                _ => Err(NOT_IP),
            };
        }
        let padded = (len + 3) & !3;
        rest = rest.get(padded..).unwrap_or(&[]);
    }
    Err(NOT_IP)
}

/// Linux ARCNET: source, destination, 2-byte offset, protocol; RFC 1201 protocols add a split
/// flag and a sequence number, the old RFC 1051 ones do not.
fn arcnet_linux(data: &[u8]) -> Result<&[u8], Decoded> {
    const IP_RFC1051: u8 = 0xf0;
    const ARP_RFC1051: u8 = 0xf1;
    const IP_RFC1201: u8 = 0xd4;
    const IPV6: u8 = 0xc4;
    let proto = *data.get(4).ok_or(SHORT)?;
    let header = if matches!(proto, IP_RFC1051 | ARP_RFC1051) {
        5
    } else {
        8
    };
    let payload = data.get(header..).ok_or(SHORT)?;
    match proto {
        IP_RFC1051 | IP_RFC1201 | IPV6 => raw_ip(payload),
        _ => Err(NOT_IP),
    }
}
