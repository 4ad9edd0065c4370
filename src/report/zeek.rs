//! `--format zeek`: a conn.log in Zeek's TSV layout, header lines included, so zeek-cut and other
//! Zeek tooling read it unchanged. Fields synack does not compute are unset (`-`). `#open` and
//! `#close` carry capture time, so the output is reproducible.
//!
//! The header is written once a capture has been read: a run that read nothing prints no empty
//! log. Each capture that could not be read gets an `#error` line before `#close` (zeek-cut
//! skips `#` lines; the exit status is 2).

use super::{ConnReport, Emitter, InputError, Summary};
use crate::analyze::CaptureResult;
use crate::findings::Verdict;
use crate::time::Timestamp;
use std::io::{self, Write};

const FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
const TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";

pub struct ZeekEmitter<W: Write> {
    out: W,
    opened: bool,
    last: Option<Timestamp>,
    errors: Vec<InputError>,
}

impl<W: Write> ZeekEmitter<W> {
    pub fn new(out: W) -> Self {
        ZeekEmitter {
            out,
            opened: false,
            last: None,
            errors: Vec::new(),
        }
    }

    fn open(&mut self, ts: Option<Timestamp>) -> io::Result<()> {
        if self.opened {
            return Ok(());
        }
        self.opened = true;
        writeln!(self.out, "#separator \\x09")?;
        writeln!(self.out, "#set_separator\t,")?;
        writeln!(self.out, "#empty_field\t(empty)")?;
        writeln!(self.out, "#unset_field\t-")?;
        writeln!(self.out, "#path\tconn")?;
        writeln!(self.out, "#open\t{}", zeek_time(ts))?;
        writeln!(self.out, "#fields\t{FIELDS}")?;
        writeln!(self.out, "#types\t{TYPES}")
    }
}

/// Zeek's `#open`/`#close` stamp: `%Y-%m-%d-%H-%M-%S`, here in UTC.
fn zeek_time(ts: Option<Timestamp>) -> String {
    let Some(ts) = ts else {
        return "-".to_string();
    };
    let s = ts.to_string();
    // `2009-11-18T08:59:53.776000Z` → `2009-11-18-08-59-53`
    match (s.get(..10), s.get(11..19)) {
        (Some(d), Some(t)) if s.len() > 19 => format!("{d}-{}", t.replace(':', "-")),
        _ => s,
    }
}

/// A deterministic Zeek-style uid: `C` and 17 base-62 characters derived from capture and id.
fn uid(capture: &str, id: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // FNV-1a over the capture name, then splitmix64 with the id.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in capture.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut x = h ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(18);
    out.push('C');
    for _ in 0..17 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.push(ALPHABET[(z % 62) as usize] as char);
    }
    out
}

fn unset<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |x| x.to_string())
}

impl<W: Write> Emitter for ZeekEmitter<W> {
    fn connection(&mut self, c: &ConnReport) -> io::Result<()> {
        self.open(Some(c.first_ts))?;
        self.last = Some(self.last.map_or(c.last_ts, |l| l.max(c.last_ts)));
        let z = &c.zeek;
        // Zeek's orig may be synack's resp.
        let (o, r) = if z.flipped {
            (c.resp_ep, c.orig_ep)
        } else {
            (c.orig_ep, c.resp_ep)
        };
        let history = if z.history.is_empty() {
            "-"
        } else {
            &z.history
        };
        writeln!(
            self.out,
            "{:.6}\t{}\t{}\t{}\t{}\t{}\ttcp\t-\t{}\t{}\t{}\t{}\t-\t-\t{}\t{}\t{}\t{}\t{}\t{}\t-",
            c.first_ts.as_secs_f64(),
            uid(&c.capture, c.id),
            o.addr,
            o.port,
            r.addr,
            r.port,
            unset(z.duration.map(|d| format!("{:.6}", d.as_secs_f64()))),
            unset(z.orig_bytes),
            unset(z.resp_bytes),
            z.conn_state,
            z.missed_bytes,
            history,
            z.orig_pkts,
            z.orig_ip_bytes,
            z.resp_pkts,
            z.resp_ip_bytes,
        )
    }

    fn capture(&mut self, c: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        self.open(c.capture.first_ts)?;
        if let Some(end) = c.end {
            self.last = Some(self.last.map_or(end, |l| l.max(end)));
        }
        Ok(())
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(e.clone());
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        for e in &self.errors {
            let line = format!("#error\t{}\t{}", e.path, e.located());
            writeln!(self.out, "{}", line.replace(['\n', '\r'], " "))?;
        }
        if self.opened {
            writeln!(self.out, "#close\t{}", zeek_time(self.last))?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_look_like_zeeks_and_are_stable() {
        let a = uid("x.pcap", 7);
        assert_eq!(a.len(), 18);
        assert!(a.starts_with('C'));
        assert_eq!(a, uid("x.pcap", 7));
        assert_ne!(a, uid("x.pcap", 8));
        assert_ne!(a, uid("y.pcap", 7));
    }

    #[test]
    fn open_stamp_is_zeeks_layout() {
        let t = Timestamp::from_parts(1_258_534_793, 776_000_000);
        assert_eq!(zeek_time(Some(t)), "2009-11-18-08-59-53");
    }
}
