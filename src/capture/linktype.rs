//! Link-layer header types, numbered as tcpdump.org's LINKTYPE_ registry numbers them.

use std::fmt;

/// A pcap/pcapng link type (LINKTYPE_* value, FCS bits already masked off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const ARCNET_LINUX: LinkType = LinkType(129);
    /// DLT_RAW as OpenBSD and some other systems number it in pcap files.
    pub const RAW_12: LinkType = LinkType(12);
    pub const RAW_14: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const NFLOG: LinkType = LinkType(239);
    pub const IPOIB: LinkType = LinkType(242);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// From the 32-bit field of a pcap header or pcapng IDB: the low 16 bits are the type, the
    /// upper bits may carry an FCS length (pcap) and are not part of it.
    pub fn from_header_field(v: u32) -> LinkType {
        LinkType(v & 0xFFFF)
    }

    /// The name as tcpdump.org's registry spells it, without the `LINKTYPE_` prefix.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "ETHERNET",
            6 => "IEEE802_5",
            9 => "PPP",
            12 | 14 | 101 => "RAW",
            105 => "IEEE802_11",
            108 => "LOOP",
            113 => "LINUX_SLL",
            127 => "IEEE802_11_RADIOTAP",
            129 => "ARCNET_LINUX",
            147..=162 => "USER",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            242 => "IPOIB",
            252 => "WIRESHARK_UPPER_PDU",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// Whether synack's decoder understands frames of this link type.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            LinkType::NULL
                | LinkType::ETHERNET
                | LinkType::ARCNET_LINUX
                | LinkType::RAW_12
                | LinkType::RAW_14
                | LinkType::RAW
                | LinkType::LOOP
                | LinkType::LINUX_SLL
                | LinkType::IPV4
                | LinkType::IPV6
                | LinkType::NFLOG
                | LinkType::IPOIB
                | LinkType::LINUX_SLL2
        )
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "LINKTYPE_{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_registry() {
        assert_eq!(LinkType::ETHERNET.to_string(), "ETHERNET");
        assert_eq!(LinkType::RAW_12.to_string(), "RAW");
        assert_eq!(LinkType::LINUX_SLL2.to_string(), "LINUX_SLL2");
        assert_eq!(LinkType(9999).to_string(), "LINKTYPE_9999");
    }

    #[test]
    fn fcs_bits_are_not_part_of_the_type() {
        assert_eq!(LinkType::from_header_field(0x1000_0001), LinkType::ETHERNET);
    }
}
