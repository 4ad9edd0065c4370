//! The decoder on any frame of any link type synack reads: the first byte picks the link type,
//! the rest is the frame. A decoded segment's payload never claims more than the frame holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synack::capture::{Frame, LinkType};
use synack::decode::{decode, DecodeStats};
use synack::time::Timestamp;

const LINKS: [LinkType; 13] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::ARCNET_LINUX,
    LinkType::RAW_12,
    LinkType::RAW_14,
    LinkType::RAW,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::NFLOG,
    LinkType::IPOIB,
    LinkType::LINUX_SLL2,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link = LINKS[usize::from(pick) % LINKS.len()];
    // The wire length: as captured, or (odd pick) longer, as a snap length cuts it.
    let orig_len = frame.len() as u32 + if pick & 0x80 != 0 { 1000 } else { 0 };
    let f = Frame {
        number: 1,
        ts: Timestamp::from_parts(1_700_000_000, 0),
        link,
        data: frame,
        orig_len,
        ts_invalid: false,
    };
    let d = decode(&f);
    let mut stats = DecodeStats::default();
    stats.count(&d);
    assert_eq!(stats.packets, 1);
});
