//! Reset rules: refused connections, aborts by either side, RSTs outside the window, and sides
//! that keep talking after a RST.

use super::{hit, rules, Hit};
use crate::tcp::{Connection, Dir, RstKind};

rules! {
    /// What it means: the responder answered the SYN with a RST: nothing listens on that port
    /// (or a firewall rejects with RST).
    ///
    /// Why it matters: connect() fails at once with ECONNREFUSED. Seen once it is a wrong port
    /// or a stopped service; seen repeatedly it is a client retrying a service that is down
    /// (Windows even re-sends the same SYN after the RST, twice).
    ///
    /// What to do: check that the service runs and listens on that address and port (`ss -ltn`),
    /// and that the client has the right port; a firewall REJECT rule can also send this RST.
    ///
    /// RFC reference: RFC 9293 §3.10.7.1 (a segment for a closed port is answered by a reset)
    /// and §3.10.7.3 (SYN-SENT accepts a RST that acknowledges its SYN).
    RS001 = "RS001", "connection-refused", Warning,
    summary: "a RST answers a SYN (the message counts the refusals when the SYN was retried after a RST)",
    help: "check that the service listens on that address and port (ss -ltn) and that the client uses the right port";

    /// What it means: the originator (usually the client) ended an established connection with a
    /// RST instead of a FIN exchange.
    ///
    /// Why it matters: an abort throws away data still in flight or unread on both sides; the
    /// server sees ECONNRESET. Clients abort on timeouts, on close() with unread data, or with
    /// SO_LINGER set to zero (a common way to avoid TIME-WAIT, which hides bugs).
    ///
    /// What to do: look at what the client was doing before the RST (a timeout? unread data
    /// when it closed?); if the abort is on purpose, make sure nothing was in flight.
    ///
    /// RFC reference: RFC 9293 §3.10.5 (ABORT) and §3.6 (closing a connection).
    RS002 = "RS002", "reset-by-originator", Warning,
    summary: "the originator resets an established connection",
    help: "check why the client aborted (a timeout, close() with unread data, SO_LINGER 0) and whether data was lost";

    /// What it means: the responder (usually the server) ended an established connection with a
    /// RST instead of a FIN exchange.
    ///
    /// Why it matters: the client sees ECONNRESET ("connection reset by peer") and loses any
    /// response in flight. Servers reset on idle timeouts, on overload, when a proxy or load
    /// balancer gives up, or when they close with unread request data.
    ///
    /// What to do: match the RST's time against the server's logs and timeouts (keep-alive,
    /// request, idle); check proxies and load balancers in between.
    ///
    /// RFC reference: RFC 9293 §3.10.5 (ABORT) and §3.6.
    RS003 = "RS003", "reset-by-responder", Warning,
    summary: "the responder resets an established connection",
    help: "match the RST against the server's (or proxy's) logs and its idle and request timeouts";

    /// What it means: a RST whose sequence number lies outside the receiver's window. Stacks that
    /// follow RFC 5961 (Linux, Windows, the BSDs) ignore it, or answer with a challenge ACK.
    ///
    /// Why it matters: such a RST comes from state that no longer matches (a late RST from an old
    /// incarnation, a middlebox with a stale table) or from an attacker guessing sequence
    /// numbers to inject resets. It closes nothing, but it shows something on the path is wrong.
    ///
    /// What to do: find which host or middlebox sent it (TTL, MAC address); an injected RST from
    /// a censor or an IDS often has an odd TTL or IP ID.
    ///
    /// RFC reference: RFC 5961 §3 (blind reset attack), RFC 9293 §3.10.7.4 (RST processing).
    RS004 = "RS004", "reset-out-of-window", Warning,
    summary: "a RST whose sequence number lies outside the receiver's window (ignored by every stack; stale state or forgery)",
    help: "find which host or middlebox sent the RST (TTL, MAC, IP ID): stale state on the path or an injected reset";

    /// What it means: after one side's RST closed the connection, the other side kept sending
    /// data (or a FIN) on it.
    ///
    /// Why it matters: the RST did not reach that side (lost on the way, or filtered), or the
    /// side ignores resets; everything it sends after is lost and answered with more RSTs.
    ///
    /// What to do: check whether the RST reached the other side (capture there too) and whether
    /// a firewall drops RSTs; an application writing after ECONNRESET has a bug.
    ///
    /// RFC reference: RFC 9293 §3.10.7.4 (after a RST the connection is CLOSED; §3.10.7.1 answers
    /// further segments with RSTs).
    RS005 = "RS005", "data-after-reset", Warning,
    summary: "a side keeps sending after the peer's accepted RST",
    help: "check whether the RST reached the other side (capture there) and whether a firewall drops RSTs";

    /// What it means: an ICMP (or ICMPv6) destination-unreachable quoting the connection's SYN
    /// came back instead of a SYN-ACK: a firewall rejected the attempt (nft/iptables `reject
    /// with icmp ...`, "administratively prohibited"), the host has nothing on that port and
    /// answers with ICMP (port unreachable), or a router has no way there (network or host
    /// unreachable).
    ///
    /// Why it matters: connect() fails (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH). A hard error
    /// (port or protocol unreachable, administratively prohibited) ends the attempt at once; a
    /// soft one (network or host unreachable) is recorded while the client keeps retrying its
    /// SYN, and may end the same way after its retries.
    ///
    /// What to do: the message names the code. For "administratively prohibited", find the
    /// filter rule (the ICMP's source address is the filtering host); for "port unreachable",
    /// check that the service listens; for network or host unreachable, check routes and ARP
    /// on the path.
    ///
    /// RFC reference: RFC 1122 §4.2.3.9 (TCP and ICMP errors), RFC 5927 §4 (hard and soft
    /// errors), RFC 792 and RFC 4443 §3.1 (the codes).
    RS006 = "RS006", "rejected-by-icmp", Warning,
    summary: "an ICMP destination-unreachable answered the SYN: a firewall or the host rejected the attempt",
    help: "for 'administratively prohibited' find the filter rule; for 'port unreachable' check the service listens; else check routes";

    /// What it means: a RST whose sequence number lies inside the receiver's window but not
    /// exactly at the next sequence number it expects (RCV.NXT). Since RFC 5961, stacks (Linux,
    /// Windows, the BSDs) do not close on such a RST: they answer with a "challenge ACK" that
    /// tells the true RCV.NXT, and a genuine sender that really lost its state answers that
    /// ACK with an exact RST. The connection goes on.
    ///
    /// Why it matters: a blind attacker injecting resets has to guess the sequence number, and
    /// guesses land in the window, not on RCV.NXT; a middlebox that rewrites sequence numbers,
    /// or a RST sent by a host that kept stale state, looks the same. Nothing was closed.
    ///
    /// What to do: usually nothing. If they are frequent, find who sends them (TTL, MAC
    /// address, IP ID against the peer's other segments): an injector, a middlebox, or a load
    /// balancer resetting with a stale sequence number.
    ///
    /// RFC reference: RFC 5961 §3.2 (challenge ACK), RFC 9293 §3.10.7.4 (first, check sequence
    /// number; second, the RST bit).
    RS007 = "RS007", "reset-challenged", Info,
    summary: "a RST in the window but not at RCV.NXT: RFC 5961 stacks answer with a challenge ACK and keep the connection (blind reset attempt, or a middlebox)",
    help: "usually harmless; if frequent, find who sends them (TTL, MAC, IP ID): an injector or a middlebox with stale sequence numbers";
}

pub(super) fn check(c: &Connection, out: &mut Vec<Hit>) {
    if let Some(r) = c.accepted_rst {
        let (by, to) = (c.endpoint(r.by), c.endpoint(r.by.other()));
        match r.kind {
            RstKind::Refused => out.push(hit(
                &RS001,
                Some(r.frame),
                Some(r.ts),
                if c.refusals > 1 {
                    format!(
                        "{by} refused the connection from {to} {} times: a RST answered each SYN (the client retried the same SYN after each refusal)",
                        c.refusals
                    )
                } else {
                    format!("{by} refused the connection from {to}: a RST answered the SYN")
                },
            )),
            // A RST from an endpoint that lost its state is HO001, not a deliberate abort.
            RstKind::Abort if r.state.is_synchronized() && !c.lost_state_rst => {
                let rule = if r.by == Dir::Orig { &RS002 } else { &RS003 };
                out.push(hit(
                    rule,
                    Some(r.frame),
                    Some(r.ts),
                    format!("{by} reset its connection with {to} from {}", r.state),
                ));
            }
            _ => {}
        }
    }
    if let Some(r) = c.first_out_of_window_rst {
        let (by, to) = (c.endpoint(r.by), c.endpoint(r.by.other()));
        let n = c.rst_out_of_window;
        out.push(hit(
            &RS004,
            Some(r.frame),
            Some(r.ts),
            format!(
                "{n} RST{} from {by} to {to} outside {to}'s window: ignored, nothing closed",
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    if let (Some(a), false) = (c.icmp, c.was_established()) {
        let what = if a.error.is_hard() {
            "the attempt ended"
        } else {
            "a soft error: the SYN retries went on"
        };
        out.push(hit(
            &RS006,
            Some(a.frame),
            Some(a.ts),
            format!(
                "an ICMP{} {} answered the SYN from {} to {}: {what}",
                if a.error.v6 { "v6" } else { "" },
                a.error.name(),
                c.orig,
                c.resp
            ),
        ));
    }
    if let Some(ch) = c.challenged.as_deref() {
        let r = ch.first;
        let (by, to) = (c.endpoint(r.by), c.endpoint(r.by.other()));
        let n = ch.count;
        let answer = match ch.ack_frame {
            Some(f) => format!("{to} answered with a challenge ACK (frame {f})"),
            None => "the capture shows no challenge ACK".to_string(),
        };
        out.push(hit(
            &RS007,
            Some(r.frame),
            Some(r.ts),
            format!(
                "{n} RST{} from {by} to {to} inside {to}'s window but not at its RCV.NXT: \
                 challenged, nothing closed; {answer}",
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    if let Some((d, n, frame)) = c.after_rst {
        let rst = c.accepted_rst.map(|r| r.frame).unwrap_or_default();
        out.push(hit(
            &RS005,
            Some(frame),
            None,
            format!(
                "{} kept sending after {}'s RST (frame {rst}): {n} segment{} with data or FIN",
                c.endpoint(d),
                c.endpoint(d.other()),
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
}
