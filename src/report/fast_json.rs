//! The connection and finding objects written by hand: the JSON report writes one of each per
//! connection and per finding, and serde's derived serializer spent most of its time escaping
//! the same key names again and again. The bytes are exactly serde's (compact, same key order,
//! same number formatting), which `tests.rs` checks on every connection of real captures; serde's
//! derive stays the definition of the object.

use super::record::{ConnReport, EndpointJson, SideDetail};
use crate::findings::Finding;
use crate::time::Timestamp;
use std::io;
use std::net::IpAddr;

/// A connection object, as `serde_json::to_writer(out, rec)` writes it; `tag`: a `type` key
/// first, as JSONL lines have.
pub fn connection(out: &mut Vec<u8>, c: &ConnReport, tag: Option<&str>) -> io::Result<()> {
    open(out, tag);
    key(out, b"\"id\":");
    int(out, c.id);
    key(out, b",\"orig\":");
    endpoint(out, &c.orig);
    key(out, b",\"resp\":");
    endpoint(out, &c.resp);
    key(out, b",\"first_ts\":");
    float(out, c.first_ts.as_secs_f64())?;
    key(out, b",\"last_ts\":");
    float(out, c.last_ts.as_secs_f64())?;
    key(out, b",\"first_frame\":");
    int(out, c.first_frame);
    key(out, b",\"last_frame\":");
    int(out, c.last_frame);
    key(out, b",\"orig_state\":");
    string(out, c.orig_state.name())?;
    key(out, b",\"resp_state\":");
    string(out, c.resp_state.name())?;
    key(out, b",\"orig_state_inferred\":");
    boolean(out, c.orig_state_inferred);
    key(out, b",\"resp_state_inferred\":");
    boolean(out, c.resp_state_inferred);
    key(out, b",\"orig_time_wait_until\":");
    opt_float(out, c.orig_time_wait_until.map(Timestamp::as_secs_f64))?;
    key(out, b",\"resp_time_wait_until\":");
    opt_float(out, c.resp_time_wait_until.map(Timestamp::as_secs_f64))?;
    key(out, b",\"conn_state\":");
    string(out, c.conn_state.name())?;
    key(out, b",\"history\":");
    string(out, &c.history)?;
    key(out, b",\"orig_packets\":");
    int(out, c.orig_packets);
    key(out, b",\"resp_packets\":");
    int(out, c.resp_packets);
    key(out, b",\"orig_bytes\":");
    int(out, c.orig_bytes);
    key(out, b",\"resp_bytes\":");
    int(out, c.resp_bytes);
    key(out, b",\"syn_retransmits\":");
    int(out, c.syn_retransmits);
    key(out, b",\"syn_retransmit_intervals\":[");
    for (i, v) in c.syn_retransmit_intervals.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        float(out, *v)?;
    }
    key(out, b"],\"synack_retransmits\":");
    int(out, c.synack_retransmits);
    key(out, b",\"synack_isns\":");
    int(out, c.synack_isns);
    key(out, b",\"rst\":");
    match &c.rst {
        None => key(out, b"null"),
        Some(r) => {
            key(out, b"{\"by\":");
            string(out, r.by)?;
            key(out, b",\"frame\":");
            int(out, r.frame);
            key(out, b",\"state\":");
            string(out, r.state)?;
            key(out, b",\"kind\":");
            string(out, r.kind)?;
            out.push(b'}');
        }
    }
    key(out, b",\"handshake\":");
    match &c.handshake {
        None => key(out, b"null"),
        Some(h) => {
            key(out, b"{\"syn_to_synack\":");
            opt_float(out, h.syn_to_synack)?;
            key(out, b",\"synack_to_ack\":");
            opt_float(out, h.synack_to_ack)?;
            key(out, b",\"connect_time\":");
            opt_float(out, h.connect_time)?;
            key(out, b",\"mss\":");
            pair(out, h.mss, int);
            key(out, b",\"wscale\":");
            pair(out, h.wscale, int);
            key(out, b",\"sack_permitted\":");
            pair(out, h.sack_permitted, boolean);
            key(out, b",\"timestamps\":");
            pair(out, h.timestamps, boolean);
            out.push(b'}');
        }
    }
    key(out, b",\"midstream\":");
    boolean(out, c.midstream);
    key(out, b",\"findings\":[");
    for (i, f) in c.findings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        finding(out, f, None)?;
    }
    key(out, b"],\"capture\":");
    string(out, &c.capture)?;
    key(out, b",\"opening\":");
    string(out, c.opening.name())?;
    key(out, b",\"duration\":");
    float(out, c.duration)?;
    key(out, b",\"missed_bytes\":");
    int(out, c.missed_bytes);
    key(out, b",\"reused_time_wait\":");
    boolean(out, c.reused_time_wait);
    key(out, b",\"orig_time_wait_from\":");
    opt_float(out, c.orig_time_wait_from.map(Timestamp::as_secs_f64))?;
    key(out, b",\"orig_time_wait_left\":");
    opt_float(out, c.orig_time_wait_left.map(Timestamp::as_secs_f64))?;
    key(out, b",\"resp_time_wait_from\":");
    opt_float(out, c.resp_time_wait_from.map(Timestamp::as_secs_f64))?;
    key(out, b",\"resp_time_wait_left\":");
    opt_float(out, c.resp_time_wait_left.map(Timestamp::as_secs_f64))?;
    key(out, b",\"orig_detail\":");
    detail(out, &c.orig_detail);
    key(out, b",\"resp_detail\":");
    detail(out, &c.resp_detail);
    if let Some(t) = &c.transitions {
        // Rare (`--transitions`): serde's own writer.
        key(out, b",\"transitions\":");
        serde_json::to_writer(&mut *out, t)?;
    }
    out.push(b'}');
    Ok(())
}

/// A finding object, as `serde_json::to_writer(out, f)` writes it; `tag` as for connections.
pub fn finding(out: &mut Vec<u8>, f: &Finding, tag: Option<&str>) -> io::Result<()> {
    open(out, tag);
    key(out, b"\"code\":");
    string(out, f.code)?;
    key(out, b",\"name\":");
    string(out, f.name)?;
    key(out, b",\"severity\":");
    string(out, f.severity.name())?;
    key(out, b",\"capture\":");
    string(out, &f.capture)?;
    key(out, b",\"connection\":");
    match f.connection {
        Some(c) => int(out, c),
        None => key(out, b"null"),
    }
    key(out, b",\"frame\":");
    match f.frame {
        Some(n) => int(out, n),
        None => key(out, b"null"),
    }
    key(out, b",\"ts\":");
    opt_float(out, f.ts.map(|t| t.as_secs_f64()))?;
    key(out, b",\"orig\":");
    opt_string(out, f.orig.as_deref())?;
    key(out, b",\"resp\":");
    opt_string(out, f.resp.as_deref())?;
    key(out, b",\"message\":");
    string(out, &f.message)?;
    key(out, b",\"help\":");
    string(out, f.help)?;
    out.push(b'}');
    Ok(())
}

/// `{`, and `"type":"…",` when tagged.
fn open(out: &mut Vec<u8>, tag: Option<&str>) {
    out.push(b'{');
    if let Some(t) = tag {
        key(out, b"\"type\":\"");
        key(out, t.as_bytes());
        key(out, b"\",");
    }
}

fn key(out: &mut Vec<u8>, k: &[u8]) {
    out.extend_from_slice(k);
}

fn int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// serde_json's own formatting (shortest round trip; `null` for NaN and infinities).
fn float(out: &mut Vec<u8>, v: f64) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &v)?;
    Ok(())
}

fn opt_float(out: &mut Vec<u8>, v: Option<f64>) -> io::Result<()> {
    match v {
        Some(v) => float(out, v),
        None => {
            key(out, b"null");
            Ok(())
        }
    }
}

/// A string: written as it is when nothing in it needs escaping (the usual case), else by
/// serde_json.
fn string(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(&mut *out, s)?;
        Ok(())
    }
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => string(out, s),
        None => {
            key(out, b"null");
            Ok(())
        }
    }
}

fn pair<T: Copy>(out: &mut Vec<u8>, v: [Option<T>; 2], one: impl Fn(&mut Vec<u8>, T)) {
    out.push(b'[');
    for (i, x) in v.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match x {
            Some(x) => one(out, x),
            None => key(out, b"null"),
        }
    }
    out.push(b']');
}

fn endpoint(out: &mut Vec<u8>, e: &EndpointJson) {
    key(out, b"{\"addr\":\"");
    // No character of an address needs escaping.
    ip(out, e.addr);
    key(out, b"\",\"port\":");
    int(out, e.port);
    out.push(b'}');
}

/// An address as std writes it (IPv6 in RFC 5952 form), IPv4 without `fmt`'s machinery: a
/// report writes two per connection.
pub(crate) fn ip(out: &mut Vec<u8>, addr: IpAddr) {
    match addr {
        IpAddr::V4(a) => {
            for (i, o) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                int(out, o);
            }
        }
        IpAddr::V6(a) => {
            use std::io::Write as _;
            let _ = write!(out, "{a}");
        }
    }
}

fn detail(out: &mut Vec<u8>, d: &SideDetail) {
    key(out, b"{\"ip_bytes\":");
    int(out, d.ip_bytes);
    key(out, b",\"retransmits\":");
    int(out, d.retransmits);
    key(out, b",\"keepalives\":");
    int(out, d.keepalives);
    key(out, b",\"zero_window_probes\":");
    int(out, d.zero_window_probes);
    key(out, b",\"fin_retransmits\":");
    int(out, d.fin_retransmits);
    key(out, b",\"duplicates\":");
    int(out, d.duplicates);
    out.push(b'}');
}

#[cfg(test)]
mod tests;
