//! The read-and-decode path allocates nothing per packet: a counting allocator watches the frame
//! loop over tens of thousands of real frames.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;
use synack::capture::CaptureReader;
use synack::decode::{decode, DecodeStats};

struct Counting;

// Per thread: the test harness runs tests on several threads at once.
thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A pcap of `copies` × the records of a real capture (its header once).
fn repeated(path: &std::path::Path, copies: usize) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("testdata capture");
    let (header, records) = bytes.split_at(24);
    let mut out = header.to_vec();
    for _ in 0..copies {
        out.extend_from_slice(records);
    }
    out
}

#[test]
fn frame_loop_allocates_nothing_per_packet() {
    let data = repeated(&common::testdata("kernel/fmt-mixed.pcap"), 2000);
    let mut reader = CaptureReader::from_read(Cursor::new(data)).expect("opens");
    let mut stats = DecodeStats::default();
    // The first frame settles the reader (the file header block); count from the second on.
    if let Ok(Some(f)) = reader.next_frame() {
        stats.count(&decode(&f));
    }
    let before = allocs();
    while let Ok(Some(frame)) = reader.next_frame() {
        stats.count(&decode(&frame));
    }
    let allocs = allocs() - before;
    assert!(stats.packets > 20_000, "{} frames", stats.packets);
    assert!(stats.tcp_segments > 10_000);
    assert_eq!(
        allocs, 0,
        "{allocs} allocations over {} frames",
        stats.packets
    );
}

#[test]
fn connection_tracking_allocates_per_connection_not_per_packet() {
    let copies = 2000;
    let data = common::repeated_over_time(&common::testdata("kernel/fmt-mixed.pcap"), copies);
    let reader = CaptureReader::from_read(Cursor::new(data)).expect("opens");
    let mut ended = 0u64;
    let before = allocs();
    let res = synack::analyze::run(
        "mem".into(),
        reader,
        synack::analyze::Options::default(),
        |_| {
            ended += 1;
            std::ops::ControlFlow::Continue(())
        },
    );
    let allocs = allocs() - before;
    let packets = res.capture.stats.packets;
    assert_eq!(ended, res.connections);
    // Each copy's 9107 connection is new (the previous one closed); so is each copy's SYN to
    // 9199: an ICMP administratively-prohibited answered the previous one, which ended there
    // and left the table.
    assert_eq!(res.connections, 2 * u64::from(copies));
    // Connections that ended left the table: it never held more than a few copies' worth.
    assert!(
        res.peak_live <= 4,
        "peak live connections {}",
        res.peak_live
    );
    // Per connection: its place in the table, Zeek's model (boxed: lint runs without it), and
    // the parts boxed while unused: Zeek's reassembly blocks for data above a hole (fmt-mixed's
    // 9107 connection has one), SYN retransmission intervals (its 9199 SYN is retried after the
    // ICMP error), the log of its segments while it is an attempt and the compact form of an
    // attempt gone quiet (the 9199 one, between its retries); a few per batch of frames (the
    // list of what ended in it, handed over), and the amortised growth of the table, the timers
    // and the tombstones: nothing per packet.
    let batches = packets / synack::analyze::BATCH as u64 + 1;
    assert!(
        allocs <= 5 * res.connections + 6 * batches + 64,
        "{allocs} allocations for {} connections, {batches} batches and {packets} packets",
        res.connections
    );
}
