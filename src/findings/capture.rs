//! Capture quality: what the capture itself lacks (handshakes, whole packets, TCP at all) or
//! how it is damaged, so that the other findings are read with that in mind.

use super::{hit, rules, Hit};
use crate::analyze::CaptureResult;
use crate::tcp::{Connection, Opening};

rules! {
    /// What it means: the connection was picked up without its handshake: the capture started
    /// while it was already open (or the SYNs were filtered out).
    ///
    /// Why it matters: without the handshake synack cannot know the options (MSS, window scale)
    /// or the initial sequence numbers; the first states are inferred (ESTABLISHED) rather than
    /// seen, and handshake findings cannot apply.
    ///
    /// What to do: start the capture before the connections you care about open, and make sure
    /// the capture filter keeps SYNs.
    ///
    /// RFC reference: RFC 9293 §3.5 (establishing a connection).
    CQ001 = "CQ001", "midstream", Info,
    summary: "a connection was picked up without its handshake",
    help: "start the capture before the connections open and keep SYNs in the capture filter";

    /// What it means: packets were cut by the capture's snap length; their TCP headers were still
    /// decoded, their payload only in part.
    ///
    /// Why it matters: header analysis (states, retransmissions, resets) is complete, but
    /// anything that needs the payload is not, and Zeek-style gap counts treat the cut bytes as
    /// missing.
    ///
    /// What to do: nothing, for header analysis; capture with `tcpdump -s 0` (the default since
    /// tcpdump 4.0) when payloads matter.
    ///
    /// RFC reference: none (pcap's snaplen: tcpdump(1) `-s`).
    CQ002 = "CQ002", "truncated-packets", Info,
    summary: "packets cut by the snap length; their headers still decoded",
    help: "capture with tcpdump -s 0 when payloads matter; headers were fully analysed";

    /// What it means: packets that could not be decoded down to TCP: cut before the TCP header
    /// ended, malformed, or of a link type synack does not read.
    ///
    /// Why it matters: connections those packets belonged to may look incomplete (missing SYNs,
    /// FINs or RSTs), which can cause findings that are not real.
    ///
    /// What to do: capture with a larger snap length, on an interface synack reads (Ethernet,
    /// Linux cooked, raw IP...), or convert the capture with editcap.
    ///
    /// RFC reference: none.
    CQ003 = "CQ003", "undecodable", Info,
    summary: "packets that could not be decoded to TCP",
    help: "capture with a larger snap length, or on an interface synack decodes";

    /// What it means: the capture holds no TCP segment at all.
    ///
    /// Why it matters: there is nothing to judge: a lint run on it passes vacuously, which in CI
    /// usually means the capture filter, the interface or the capture point is wrong.
    ///
    /// What to do: check the capture filter (`tcp port ...`), the interface (`-i any` on Linux),
    /// and that the traffic ran while capturing.
    ///
    /// RFC reference: none.
    CQ004 = "CQ004", "no-tcp", Error,
    summary: "the capture holds no TCP segment at all",
    help: "check the capture filter, the interface (-i any) and that the traffic ran while capturing";

    /// What it means: the file ends in the middle of a record, or has a corrupt block; analysis
    /// went up to that point.
    ///
    /// Why it matters: connections open at the cut look unfinished; findings near the end may be
    /// artefacts of the cut. A capture killed while writing (no `-U`, or SIGKILL) ends like this.
    ///
    /// What to do: stop captures cleanly (SIGINT/SIGTERM to tcpdump), write with `-U` when the file
    /// is read while written, and copy files only once complete.
    ///
    /// RFC reference: none (pcap/pcapng file formats).
    CQ005 = "CQ005", "capture-damaged", Error,
    summary: "the file ends mid-record or has a corrupt block; analysis went up to that point",
    help: "stop the capture cleanly (SIGINT to tcpdump, -U when read while written) and copy the file once complete";

    /// What it means: more connections were live at once than `--max-connections` allows; the
    /// oldest idle ones were retired before they ended.
    ///
    /// Why it matters: retired connections are reported with the state they had when retired,
    /// and later packets on them start new connections (often mid-stream).
    ///
    /// What to do: raise `--max-connections` if memory allows, or split the capture (editcap -i).
    ///
    /// RFC reference: none.
    CQ006 = "CQ006", "connection-limit", Warning,
    summary: "more connections open at once than --max-connections; the oldest idle ones were written early",
    help: "raise --max-connections if memory allows, or split the capture with editcap";

    /// What it means: the same IP packet was captured more than once: a SPAN or mirror port
    /// that copies several VLANs or interfaces, or `tcpdump -i any` seeing a forwarded packet
    /// on its way in and on its way out. synack counts each such packet once as its
    /// connection's segment and the copies as duplicates: never as retransmissions.
    ///
    /// Why it matters: tools that do not recognise copies report them as retransmissions
    /// (Wireshark's "TCP Retransmission", tcptrace's rexmt), and every count built on packets is
    /// inflated. A copy is recognised by an identical TCP header (sequence and acknowledgment
    /// numbers, flags, window, checksum) and IPv4 ID within 150 ms; a real retransmission waits
    /// at least its RTO and carries a new IP ID or timestamp.
    ///
    /// What to do: nothing for synack; to keep one copy, capture on one interface or VLAN, or
    /// remove the copies (`editcap -D` or `-w`).
    ///
    /// RFC reference: none (capture setup).
    CQ007 = "CQ007", "duplicate-frames", Info,
    summary: "the same frame was captured more than once (several VLANs or interfaces); counted once",
    help: "capture on one interface or VLAN, or drop the copies with editcap -D; synack already counts each packet once";

    /// What it means: frames whose timestamps cannot be right: a fraction of a second of a
    /// million microseconds or more, a time far ahead of the frames around it (a minute or
    /// more, and the next frame goes back), or a time more than a second behind the capture's
    /// clock (captures of hosts whose clocks differ merged together, the same trace twice).
    ///
    /// Why it matters: timers that run on capture time (2×MSL, the idle timeout, SYN timeouts)
    /// would fire early or never. synack keeps each connection on its own time and lets no
    /// wild frame move the clock the timers run on: an invalid or far-ahead frame takes the
    /// clock's time, a frame far behind keeps its own. Durations that span such frames are
    /// still suspect.
    ///
    /// What to do: check the capturing host's clock (NTP) and how the file was made: merge
    /// captures of different hosts only when their clocks agree, and do not concatenate
    /// traces (`mergecap -a`) that overlap in time.
    ///
    /// RFC reference: none (pcap and pcapng timestamps).
    CQ008 = "CQ008", "clock-anomaly", Warning,
    summary: "timestamps that are invalid, jump far ahead, or go backwards; analysis kept each connection on its own time",
    help: "check the capturing host's clock (NTP) and whether captures of different hosts or overlapping traces were merged";
}

pub(super) fn check_connection(c: &Connection, out: &mut Vec<Hit>) {
    if c.opening == Opening::Midstream {
        out.push(hit(
            &CQ001,
            Some(c.first_frame),
            Some(c.first_ts),
            format!(
                "connection {} → {} picked up mid-stream: its handshake is not in the capture",
                c.orig, c.resp
            ),
        ));
    }
}

pub(super) fn check_capture(r: &CaptureResult) -> Vec<Hit> {
    let mut out = Vec::new();
    let s = &r.capture.stats;
    if s.truncated > 0 {
        out.push(hit(
            &CQ002,
            None,
            None,
            format!(
                "{} TCP segments cut by the snap length; their headers still decoded",
                s.truncated
            ),
        ));
    }
    if s.undecodable > 0 {
        let unsupported = if s.unsupported_link > 0 {
            format!(" ({} of an unsupported link type)", s.unsupported_link)
        } else {
            String::new()
        };
        out.push(hit(
            &CQ003,
            None,
            None,
            format!(
                "{} packets could not be decoded to TCP{unsupported}",
                s.undecodable
            ),
        ));
    }
    if s.tcp_segments == 0 {
        out.push(hit(
            &CQ004,
            None,
            None,
            format!("the capture holds no TCP segment ({} packets)", s.packets),
        ));
    }
    let merged = r.files().len() > 1;
    for f in r.files() {
        if let Some(d) = &f.damage {
            let msg = if merged {
                format!("{}: {d}", f.path)
            } else {
                d.to_string()
            };
            out.push(hit(&CQ005, None, f.last_ts, msg));
        }
    }
    if s.duplicates > 0 {
        out.push(hit(
            &CQ007,
            None,
            None,
            format!(
                "{} TCP segments were copies of one captured just before (another VLAN or interface): each counted once, none as a retransmission",
                s.duplicates
            ),
        ));
    }
    if s.clock_anomalies > 0 {
        out.push(hit(
            &CQ008,
            None,
            None,
            format!(
                "{} frames with a timestamp that is invalid, far ahead of the frames around it, or far behind the clock; no timer ran on them",
                s.clock_anomalies
            ),
        ));
    }
    if r.retired > 0 {
        out.push(hit(
            &CQ006,
            None,
            r.end,
            format!(
                "{} connections retired early: more than {} live at once (--max-connections); they are reported as they were when retired",
                r.retired, r.max_connections
            ),
        ));
    }
    out
}
