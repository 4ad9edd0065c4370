//! Side-by-side timings in one run: the parse floor (pcap-parser records + etherparse slicing,
//! nothing else) against synack's own read-and-decode path over the same file.

use etherparse::SlicedPacket;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};
use synack::capture::CaptureReader;
use synack::decode::{decode, DecodeStats};

pub struct Run {
    pub packets: u64,
    pub elapsed: Duration,
}

/// The floor, as tight as ../shared/floor's: walk every record with pcap-parser's streaming
/// reader (1 MiB buffer) and slice it with etherparse, folding the TCP flags, sequence number
/// and port into a checksum so nothing is optimised away; no flow table, no state, no output.
/// (An earlier floor used the lax slicer and kept each slice alive through `black_box`, and the
/// release profile used thin LTO: together 1.6× slower than ../shared/floor on the 1 GB
/// capture, which made every "× floor" figure kinder than it was. Built with fat LTO and one
/// codegen unit, as the floor is, the two now take the same time.)
pub fn floor(path: &Path) -> Run {
    let start = Instant::now();
    let file = File::open(path).expect("open capture");
    let mut reader = pcap_parser::create_reader(1 << 20, file).expect("a pcap or pcapng file");
    let (mut packets, mut syns, mut acc) = (0u64, 0u64, 0u64);
    loop {
        match reader.next() {
            Ok((len, block)) => {
                let data = match &block {
                    PcapBlockOwned::Legacy(b) => Some(b.data),
                    PcapBlockOwned::NG(pcap_parser::Block::EnhancedPacket(b)) => Some(b.data),
                    _ => None,
                };
                if let Some(data) = data {
                    packets += 1;
                    if let Ok(s) = SlicedPacket::from_ethernet(data) {
                        if let Some(etherparse::TransportSlice::Tcp(t)) = s.transport {
                            syns += u64::from(t.syn());
                            acc = acc.wrapping_add(
                                u64::from(t.sequence_number()) ^ u64::from(t.source_port()),
                            );
                        }
                    }
                }
                reader.consume(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("floor loop: {e:?}"),
        }
    }
    black_box((syns, acc));
    Run {
        packets,
        elapsed: start.elapsed(),
    }
}

/// synack's capture reader and decoder, counting as `synack report` counts.
pub fn read_and_decode(path: &Path) -> Run {
    let start = Instant::now();
    let mut reader = CaptureReader::open(path).expect("open capture");
    let mut stats = DecodeStats::default();
    while let Ok(Some(frame)) = reader.next_frame() {
        let d = decode(&frame);
        stats.count(&d);
        black_box(&d);
    }
    Run {
        packets: stats.packets,
        elapsed: start.elapsed(),
    }
}

/// synack's whole pipeline, connections tracked and dropped as they end: no report.
pub fn track(path: &Path, jobs: usize) -> Run {
    let start = Instant::now();
    let opts = synack::analyze::Options {
        jobs,
        ..Default::default()
    };
    let mut ended = 0u64;
    let res = synack::analyze::analyze_capture(path, opts, |c| {
        ended += 1;
        black_box(&c);
        std::ops::ControlFlow::Continue(())
    })
    .expect("open capture");
    black_box(ended);
    if std::env::var_os("SYNACK_BENCH_DEBUG").is_some() {
        eprintln!(
            "connections {}, most open at once {}, late segments {}",
            res.connections, res.peak_live, res.late_segments
        );
    }
    Run {
        packets: res.capture.stats.packets,
        elapsed: start.elapsed(),
    }
}
