//! Handshake rules: SYNs and SYN-ACKs sent again, SYNs nobody answered, handshakes left open,
//! SYN floods.

use super::{hit, rules, secs, Hit, Thresholds};
use crate::tcp::{Connection, Dir, State};
use crate::time::Timestamp;

rules! {
    /// What it means: the originator sent its SYN more than once with the same ISN: the first
    /// (and maybe later) SYNs got no answer in time, so its retransmission timer fired.
    ///
    /// Why it matters: every retry costs the client a full RTO, and the RTO doubles each time:
    /// Linux waits 1 s, then 2 s, 4 s... (net.ipv4.tcp_syn_retries, 6 by default, about 127 s in
    /// all); Windows retries after 3 s and 6 s. A user sees a connect() that hangs for seconds.
    /// Usual causes: the SYN or the SYN-ACK was lost (a full link, a firewall dropping SYNs), a
    /// server whose listen queue overflowed (Linux then drops the SYN silently), or a host that
    /// is down.
    ///
    /// What to do: look for HS003 (never answered) on the same connection; if the SYN was finally
    /// answered, compare the capture on both sides of the path to see which SYN was lost; on the
    /// server, check `nstat -az TcpExtListenOverflows TcpExtListenDrops`.
    ///
    /// RFC reference: RFC 9293 §3.8.1 (retransmission timeout), RFC 6298 §5 (exponential backoff),
    /// RFC 6298 §2 (initial RTO of 1 s).
    HS001 = "HS001", "syn-retransmitted", Warning,
    summary: "a SYN is sent again with the same ISN while the first got no answer (a SYN re-sent after a RST answered it is a refusal, RS001)",
    help: "find where the first SYN or its SYN-ACK was lost: capture on the server side too, check the server's listen queue (nstat TcpExtListenOverflows) and firewalls";

    /// What it means: the responder sent its SYN-ACK more than once with the same ISN: it did not
    /// receive the final ACK of the handshake in time.
    ///
    /// Why it matters: SYN-ACK retries belong to the server: while it retries, the connection sits
    /// in its half-open queue (SYN-RECEIVED), counted against the listen backlog; Linux retries 5
    /// times by default (net.ipv4.tcp_synack_retries, about 63 s). The client meanwhile believes
    /// the connection is open and may already have sent data.
    ///
    /// What to do: find where the client's ACK was lost (capture near the server); a stateful
    /// firewall or NAT between client and server that dropped the ACK is a common cause; so is a
    /// client that sent its SYN from a spoofed address (then also see HS005).
    ///
    /// RFC reference: RFC 9293 §3.8.1 and §3.10.7.4 (SYN-RECEIVED retransmits its SYN,ACK until it
    /// is acknowledged).
    HS002 = "HS002", "synack-retransmitted", Warning,
    summary: "a SYN-ACK is sent again with the same ISN",
    help: "find where the client's final ACK was lost: capture next to the server and check stateful firewalls or NAT on the path";

    /// What it means: the originator's SYN (and its retries) got no SYN-ACK, no RST and no ICMP
    /// error: nothing came back at all, or only after the SYN timeout.
    ///
    /// Why it matters: silence is what a dead host, a wrong route or a firewall that drops (rather
    /// than rejects) looks like; the client keeps retrying for up to two minutes before connect()
    /// fails with ETIMEDOUT. A refused connection (RS001) fails in one round trip instead.
    ///
    /// What to do: check that the server address and port are right and reachable, that the host
    /// is up and listening, and whether a firewall drops the SYNs; make firewalls reject (RST or
    /// ICMP) rather than drop when a fast failure is wanted.
    ///
    /// RFC reference: RFC 9293 §3.8.1 and §3.10.7.3 (SYN-SENT), RFC 1122 §4.2.3.5 (R2 for SYN: at
    /// least 3 minutes).
    HS003 = "HS003", "syn-unanswered", Warning,
    summary: "a SYN (and its retries) got no SYN-ACK, no RST and no ICMP error",
    help: "check that the server is up and listening and that no firewall silently drops SYNs to that port";

    /// What it means: the responder answered with a SYN-ACK but the final ACK never came: at the
    /// end the server side is still in SYN-RECEIVED, an entry of its half-open queue.
    ///
    /// Why it matters: the server keeps the entry while it retries its SYN-ACK (HS002), and gives
    /// up after about a minute; the client, whose ACK was lost, thinks the connection is open.
    /// Many such entries fill the server's SYN backlog; then new SYNs are dropped or answered with
    /// SYN cookies.
    ///
    /// What to do: a lost final ACK points at the path between client and server (firewall, NAT,
    /// asymmetric routing); many of them from many sources point at a SYN flood (HS005).
    ///
    /// RFC reference: RFC 9293 §3.10.7.4 (SYN-RECEIVED), RFC 4987 (SYN flooding and the half-open
    /// queue).
    HS004 = "HS004", "handshake-incomplete", Warning,
    summary: "a SYN-ACK was sent but the final ACK never came: the server side is left in SYN-RECEIVED (the half-open queue)",
    help: "look for the lost final ACK on the path to the server (firewall, NAT, asymmetric routing); many at once suggest a SYN flood";

    /// What it means: at least `syn_flood_min` (100) connection attempts to one server port
    /// began within `syn_flood_window` (10 s) and never completed their handshake (the server
    /// was left half-open, or never answered), or as many to one server from at least
    /// `syn_flood_sources` (10) source addresses. One source sweeping many ports is a port
    /// scan (SC001), not a flood.
    ///
    /// Why it matters: half-open connections take slots in the server's SYN backlog
    /// (net.ipv4.tcp_max_syn_backlog); when it is full, legitimate clients are dropped (or served
    /// by SYN cookies, without TCP options). A burst like this is a SYN flood or a SYN scan.
    ///
    /// What to do: check where the SYNs come from (spoofed sources give SYN-ACK retries, HS002);
    /// enable SYN cookies (net.ipv4.tcp_syncookies = 1), rate-limit SYNs upstream, or fix the
    /// scanner.
    ///
    /// RFC reference: RFC 4987 (TCP SYN flooding attacks and common mitigations).
    HS005 = "HS005", "syn-flood", Error,
    summary: "at least syn_flood_min (100) half-open or unanswered attempts within syn_flood_window (10 s) to one server address and port, or to one server address from at least syn_flood_sources (10) source addresses; the message says from how many sources (a one-source sweep of many ports is SC001, not a flood)",
    help: "check the sources of the SYNs; enable SYN cookies and rate-limit SYNs upstream";

    /// What it means: the server threw away a handshake the client completed. The capture shows
    /// the client's final ACK, and then the server either retransmitted its SYN-ACK (more than
    /// a round trip later) as if that ACK never came, or answered it with a RST. Linux does
    /// this when the listening socket's accept queue is full, because the application does
    /// not call accept() fast enough (tcp_abort_on_overflow=0 drops the ACK, =1 resets), and
    /// also while a listener with TCP_DEFER_ACCEPT waits for the first data (Apache and
    /// nginx can set it); until it accepts, the server stays in SYN-RECEIVED.
    ///
    /// Why it matters: the client believes it is connected and may send its request, which the
    /// server drops too; the client then waits for retransmissions (seconds) or gets a reset.
    /// It is a server overload, not a network fault. (Seen from the client's side, an ACK lost
    /// between the capture point and the server looks the same: check where the capture was
    /// taken.)
    ///
    /// What to do: on the server, `nstat -az TcpExtListenOverflows TcpExtListenDrops` and
    /// `ss -ltn` (Recv-Q against Send-Q, the backlog); raise the listen() backlog and
    /// net.core.somaxconn, and make the application accept faster. If the listener defers
    /// accepting (TcpExtTCPDeferAcceptDrop counts), the clients connect without sending.
    ///
    /// RFC reference: RFC 9293 §3.10.7.4 (SYN-RECEIVED retransmits its SYN-ACK until it is
    /// acknowledged); Linux `tcp_abort_on_overflow` (ip-sysctl.rst).
    HS006 = "HS006", "accept-queue-overflow", Warning,
    summary: "the server ignored a captured final ACK (it kept retransmitting its SYN-ACK after it) or answered it with a RST: its accept queue was full",
    help: "on the server: nstat -az TcpExtListenOverflows, ss -ltn (Recv-Q vs backlog); raise the backlog and somaxconn, accept faster";
}

/// The SYN's retransmission intervals, ending with `…` when there were more than are kept.
fn interval_list(c: &Connection) -> String {
    let syn = &c.side(Dir::Orig).syn;
    let mut iv: Vec<String> = syn.intervals().map(secs).collect();
    if syn.retransmits() as usize > iv.len() {
        iv.push("…".into());
    }
    iv.join(", ")
}

pub(super) fn check(c: &Connection, t: &Thresholds, out: &mut Vec<Hit>) {
    let (o, r) = (c.side(Dir::Orig), c.side(Dir::Resp));
    // Only SYNs re-sent while the previous one had no answer were lost: one re-sent after a RST
    // or an ICMP error answered it is a client retrying a refusal (RS001, RS006).
    if c.syn_retries_unanswered > 0 {
        out.push(hit(
            &HS001,
            o.syn.first_frame,
            o.syn.first_ts,
            format!(
                "SYN from {} to {} sent {} times (RTO {})",
                c.orig,
                c.resp,
                o.syn.sent,
                interval_list(c)
            ),
        ));
    }
    if r.synack.retransmits() > 0 {
        out.push(hit(
            &HS002,
            r.synack.first_frame,
            r.synack.first_ts,
            if c.overflow.is_some() {
                format!(
                    "SYN-ACK from {} to {} sent {} times although the final ACK was captured (HS006)",
                    c.resp, c.orig, r.synack.sent
                )
            } else {
                format!(
                    "SYN-ACK from {} to {} sent {} times: the final ACK did not arrive in time",
                    c.resp, c.orig, r.synack.sent
                )
            },
        ));
    }
    if o.syn.sent > 0 {
        // Unanswered: nothing came back, or only after the SYN timeout.
        let last_syn = o.syn.last_ts;
        let late = match (r.first_ts, last_syn) {
            (Some(answer), Some(syn)) => answer.since(syn) > t.syn_timeout && answer > syn,
            _ => false,
        };
        // How long the attempt waited for an answer: from its first SYN to when the connection
        // left (the capture's end, or the idle timeout). A lone SYN in the capture's last
        // moments is no evidence of anything: unanswered means it waited the SYN timeout, or
        // was re-sent (its sender waited a retransmission timeout).
        let waited = o
            .syn
            .first_ts
            .map(|t0| c.ended_at.unwrap_or(c.last_ts).max(c.last_ts).since(t0))
            .unwrap_or_default();
        let gave_up_waiting = waited >= t.syn_timeout || o.syn.retransmits() > 0;
        // An originator that went on to acknowledge something got its SYN-ACK: the capture
        // holds only its direction.
        let answered_unseen = o.last_ack.is_some();
        if r.packets == 0 && c.icmp.is_none() && gave_up_waiting && !answered_unseen {
            out.push(hit(
                &HS003,
                o.syn.first_frame,
                o.syn.first_ts,
                format!(
                    "SYN from {} to {} got no SYN-ACK, no RST and no ICMP error in {} ({} SYN{})",
                    c.orig,
                    c.resp,
                    secs(waited),
                    o.syn.sent,
                    if o.syn.sent == 1 { "" } else { "s" }
                ),
            ));
        } else if late {
            let (answer, syn) = (r.first_ts.unwrap_or_default(), last_syn.unwrap_or_default());
            out.push(hit(
                &HS003,
                o.syn.first_frame,
                o.syn.first_ts,
                format!(
                    "SYN from {} to {} answered only {} after its last retransmission (SYN timeout {})",
                    c.orig,
                    c.resp,
                    secs(answer.since(syn)),
                    secs(t.syn_timeout)
                ),
            ));
        }
    }
    if let Some(ov) = c.overflow.as_deref() {
        let msg = if ov.by_rst {
            format!(
                "{} answered {}'s final ACK (frame {}) with a RST: its accept queue was full (tcp_abort_on_overflow=1)",
                c.resp, c.orig, ov.ack_frame
            )
        } else {
            // Where the capture was taken tells whether the ACK was seen reaching the server:
            // nearer the server the SYN-ACK leaves soon after the SYN and the ACK comes a round
            // trip later; nearer the client, the other way round.
            let h = c.handshake;
            let near_server = h.synack_to_ack >= h.syn_to_synack;
            let twice = c.ignored_acks >= 2;
            let cause = if near_server || twice {
                "its accept queue was full, or it defers accepting until data comes (TCP_DEFER_ACCEPT)"
            } else {
                "its accept queue was full or it defers accepting (TCP_DEFER_ACCEPT); captured nearer the client, the ACK may instead have been lost on the way"
            };
            format!(
                "{} ignored {}'s final ACK (frame {}) and retransmitted its SYN-ACK after it (frame {}; {} ACK{} of it ignored): {cause}",
                c.resp,
                c.orig,
                ov.ack_frame,
                ov.frame,
                c.ignored_acks,
                if c.ignored_acks == 1 { "" } else { "s" }
            )
        };
        out.push(hit(&HS006, Some(ov.frame), Some(ov.ts), msg));
    }
    if r.state == State::SynReceived {
        out.push(hit(
            &HS004,
            r.synack.first_frame,
            r.synack.first_ts,
            format!(
                "{} answered {}'s SYN but never got the final ACK: left in SYN-RECEIVED",
                c.resp, c.orig
            ),
        ));
    }
}

/// HS005's finding: `n` half-open or unanswered attempts to `target` (an address and port, or
/// an address) from `sources` sources within the window starting at `start`; `total` in the
/// capture.
pub(super) fn flood_hit(
    target: &str,
    start: Timestamp,
    n: usize,
    sources: usize,
    total: usize,
    t: &Thresholds,
) -> Hit {
    hit(
        &HS005,
        None,
        Some(start),
        format!(
            "{n} half-open or unanswered attempts to {target} within {} from {sources} source{} (from {start}); {total} in the capture",
            secs(t.syn_flood_window),
            if sources == 1 { "" } else { "s" }
        ),
    )
}
