//! The whole analysis on any bytes that open as a capture: tracker, findings and the JSON
//! report (synack::pipeline::report), whose output must parse as one JSON document with a
//! connection object for every connection the analysis counted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use synack::analyze::Options;
use synack::capture::CaptureReader;
use synack::findings::RuleConfig;
use synack::report::JsonEmitter;
use synack::tcp::TcpConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = CaptureReader::from_read(Cursor::new(data.to_vec())) else {
        return;
    };
    let opts = Options {
        tcp: TcpConfig {
            transitions: true,
            ..TcpConfig::default()
        },
        ..Options::default()
    };
    let mut out = Vec::new();
    let result = {
        let mut json = JsonEmitter::new(&mut out);
        synack::pipeline::report("fuzz.pcap", reader, opts, RuleConfig::default(), &mut json)
            .expect("writing to memory")
    };
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("the report is JSON");
    assert_eq!(
        doc["connections"].as_array().map(Vec::len),
        Some(result.connections as usize)
    );
});
