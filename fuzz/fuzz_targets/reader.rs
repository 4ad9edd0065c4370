//! The capture reader on any bytes (pcap, pcapng, gzip): frames, a clean end or a typed error,
//! never a panic, and never more frames than records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use synack::capture::CaptureReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::from_read(Cursor::new(data.to_vec())) else {
        return;
    };
    let mut frames = 0u64;
    while let Ok(Some(frame)) = reader.next_frame() {
        frames += 1;
        assert!(frame.data.len() <= data.len() || data.starts_with(&[0x1f, 0x8b]));
    }
    assert_eq!(frames, reader.frames());
});
