//! The timeline's clock: the capture time that timers (2×MSL, the idle timeout, and through
//! them the TIME-WAIT counts) run on, kept so that one wild frame cannot move it.
//!
//! Timestamps are untrusted input (CONTRACT.md, "Time"). Three kinds of anomaly are counted
//! (`clock_anomalies`, CQ008):
//! * **invalid**: a pcap fraction of 10⁶ µs (10⁹ ns) or more, a pcapng time beyond the year
//!   2262. The frame takes the clock's time.
//! * **far ahead**: more than [`AHEAD`] past the clock, and the frame after it does not follow
//!   (it lies nearer the clock than the jump). The frame takes the clock's time. A jump the
//!   next frame confirms is a real gap in the capture and moves the clock; a jump in the very
//!   last frame is taken as real, having nothing to deny it.
//! * **backwards**: more than [`BACK`] behind the clock (captures of two hosts whose clocks
//!   differ mergecap'd together, a file holding the same trace twice), and every frame after it
//!   until time catches up with the clock. The frame keeps its own time, so its connection
//!   keeps its own durations; the clock does not go back. Such frames are never taken for
//!   copies of earlier ones (a repeated trace is another incarnation), and a SYN among them
//!   does not retransmit the SYN of a connection that got past its handshake.
//!
//! Small steps back (frames of a multi-queue NIC reordered by a few microseconds) are normal
//! and not counted. Each connection's timers run on the clock at its own segments (see
//! `Connection::clock`), so a connection whose frames lag the clock is not taken for idle.

use crate::time::Timestamp;
use std::time::Duration;

/// A frame this far past the clock must be confirmed by the next one.
pub const AHEAD: Duration = Duration::from_secs(60);
/// A frame this far behind the clock is an anomaly.
pub const BACK: Duration = Duration::from_secs(1);

/// What the clock made of one frame's timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The frame's own time, moving the clock if later.
    Fine,
    /// Far ahead: decide once the next frame's time (if any) is known.
    Ahead,
    /// An anomaly; the frame takes this time.
    Anomaly(Timestamp),
    /// An anomaly: far behind the clock. The frame keeps its own time.
    Behind,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    now: Option<Timestamp>,
    /// Time went back more than [`BACK`] and has not caught up with the clock yet: the frames
    /// until it does are all behind (a repeated trace's last second too).
    behind: bool,
}

impl Clock {
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }

    /// Judges a frame at `ts` (`invalid`: its timestamp cannot be right).
    pub fn judge(&mut self, ts: Timestamp, invalid: bool) -> Verdict {
        let Some(now) = self.now else {
            // The first frame sets the clock, whatever it says.
            self.now = Some(ts);
            return if invalid {
                Verdict::Anomaly(ts)
            } else {
                Verdict::Fine
            };
        };
        // Per frame: nanoseconds as integers (Duration arithmetic goes through u128).
        const AHEAD_NS: i64 = AHEAD.as_nanos() as i64;
        const BACK_NS: i64 = BACK.as_nanos() as i64;
        let (t, n) = (ts.as_nanos(), now.as_nanos());
        if invalid {
            Verdict::Anomaly(now)
        } else if t.saturating_sub(n) > AHEAD_NS {
            Verdict::Ahead
        } else if n.saturating_sub(t) > BACK_NS || (self.behind && t <= n) {
            self.behind = true;
            Verdict::Behind
        } else {
            self.behind = false;
            self.now = Some(now.max(ts));
            Verdict::Fine
        }
    }

    /// A frame far ahead at `ts`, with the time of the frame after it (`None`: it was the
    /// last). Returns the time the frame takes and whether it was an anomaly.
    pub fn settle_ahead(
        &mut self,
        ts: Timestamp,
        next: Option<(Timestamp, bool)>,
    ) -> (Timestamp, bool) {
        let now = self.now.unwrap_or(ts);
        let confirmed = match next {
            None => true,
            Some((_, true)) => false,
            // The next frame lies nearer the jump than the clock.
            Some((n, false)) => n.since(now) > ts.since(now) / 2,
        };
        if confirmed {
            self.now = Some(ts);
            (ts, false)
        } else {
            (now, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_parts(s, 0)
    }

    #[test]
    fn a_wild_frame_far_ahead_does_not_move_the_clock() {
        let mut c = Clock::default();
        assert_eq!(c.judge(t(100), false), Verdict::Fine);
        assert_eq!(c.judge(t(1_000_000_000), false), Verdict::Ahead);
        assert_eq!(
            c.settle_ahead(t(1_000_000_000), Some((t(101), false))),
            (t(100), true)
        );
        assert_eq!(c.now(), Some(t(100)));
    }

    #[test]
    fn a_gap_the_next_frame_confirms_moves_it() {
        let mut c = Clock::default();
        c.judge(t(100), false);
        assert_eq!(c.judge(t(4000), false), Verdict::Ahead);
        assert_eq!(
            c.settle_ahead(t(4000), Some((t(4001), false))),
            (t(4000), false)
        );
        assert_eq!(c.now(), Some(t(4000)));
        // The last frame of a capture, after a pause: nothing denies it.
        assert_eq!(c.judge(t(9000), false), Verdict::Ahead);
        assert_eq!(c.settle_ahead(t(9000), None), (t(9000), false));
    }

    #[test]
    fn invalid_and_backwards_frames_are_anomalies() {
        let mut c = Clock::default();
        c.judge(t(100), false);
        assert_eq!(c.judge(t(50), true), Verdict::Anomaly(t(100)));
        assert_eq!(c.judge(t(40), false), Verdict::Behind);
        assert_eq!(c.now(), Some(t(100)));
        // Until time catches up with the clock, every frame is behind it.
        assert_eq!(c.judge(t(99), false), Verdict::Behind);
        assert_eq!(c.judge(t(100), false), Verdict::Behind);
        assert_eq!(c.judge(t(101), false), Verdict::Fine);
        // A few microseconds back is normal reordering.
        let early = Timestamp::from_nanos(t(101).as_nanos() - 5_000);
        assert_eq!(c.judge(early, false), Verdict::Fine);
        assert_eq!(c.now(), Some(t(101)));
    }
}
