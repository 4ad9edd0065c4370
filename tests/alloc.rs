//! The read-and-decode path allocates nothing per packet: a counting allocator watches the frame
//! loop over tens of thousands of real frames.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use synack::capture::CaptureReader;
use synack::decode::{decode, DecodeStats};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
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
    let before = ALLOCS.load(Ordering::Relaxed);
    while let Ok(Some(frame)) = reader.next_frame() {
        stats.count(&decode(&frame));
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert!(stats.packets > 20_000, "{} frames", stats.packets);
    assert!(stats.tcp_segments > 10_000);
    assert_eq!(
        allocs, 0,
        "{allocs} allocations over {} frames",
        stats.packets
    );
}
