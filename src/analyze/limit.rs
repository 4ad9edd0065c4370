//! `--max-connections` as one limit over every tracker, with the same result for any `--jobs`.
//!
//! The trackers run apart, each on its share of the 4-tuples, so none knows how many
//! connections the others hold. They meet on a [`Board`] at batch ends, which every tracker
//! sees at the same frames whatever `--jobs` is, and decide only from what all of them posted:
//!
//! - at the end of batch `t`, each posts how many connections it holds;
//! - at the end of batch `t + LAG` each reads the total of batch `t` (waiting for a slower
//!   tracker if needed); over the limit, a *round* starts: `n` = total − 90% of the limit
//!   connections must go, and each posts its own `n` idle the longest, as (clock at the last
//!   segment, id);
//! - at the end of batch `t + 2·LAG` each reads every tracker's candidates, takes the `n`-th
//!   longest idle of them all as the cutoff, and retires its own connections idle at least
//!   that long. The next round can start only from counts posted after that.
//! - the capture's last batch does all of it at once: a round in flight ends, and the final
//!   count, if over the limit, starts a round that ends there too (CQ006 then says how many
//!   connections were over, even in a capture shorter than the lag).
//!
//! The union of the trackers' tables at a batch end is the same for any split (a connection's
//! fate depends on its own segments, the clock, and these cutoffs), so the totals, the
//! candidates and the cutoffs are too: the same connections are retired, at the same batch
//! end, with one tracker or several. With one tracker nothing ever waits. The lag lets
//! trackers run a few batches apart without waiting for each other; the price is that a round
//! reacts within `2·LAG` batches (about 100 000 frames): the table may pass the limit by the
//! connections those frames open (a flood's 36 000 at most) before it shrinks back to 90%.
//!
//! A tracker that stops (the output was closed, or it failed) leaves the board, and nobody
//! waits for it any more.

use crate::flow::{ConnSink, Tracker};
use crate::time::Timestamp;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};

/// Batches between posting and reading: trackers may run this far apart without waiting.
pub(super) const LAG: u64 = 6;

/// Where the trackers meet.
pub(super) struct Board {
    trackers: usize,
    max: usize,
    state: Mutex<State>,
    posted: Condvar,
}

#[derive(Default)]
struct State {
    /// Per batch: how many trackers posted their count, the total, how many read it.
    counts: BTreeMap<u64, (usize, usize, usize)>,
    /// Per round, by the batch that started it.
    rounds: BTreeMap<u64, Round>,
    /// A tracker left: nobody waits any more (the run is ending).
    left: bool,
}

#[derive(Default)]
struct Round {
    /// Trackers that posted their candidates.
    posted: usize,
    /// The `n` longest idle of them so far, (clock at the last segment, id), oldest first.
    oldest: Vec<(Timestamp, u64)>,
    /// Trackers that retired up to its cutoff.
    applied: usize,
}

/// One tracker's side of the board: the rounds it is in.
#[derive(Default)]
pub(super) struct Seat {
    batch: u64,
    /// The round in flight: the batch it started at, its `n`; and when the next may start.
    round: Option<(u64, usize)>,
    next_round: u64,
}

impl Board {
    pub(super) fn new(trackers: usize, max: usize) -> Self {
        Board {
            trackers,
            max: max.max(1),
            state: Mutex::new(State::default()),
            posted: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `ready` holds (or a tracker left), then runs `then` on the state.
    fn wait<T>(&self, ready: impl Fn(&State) -> bool, then: impl FnOnce(&mut State) -> T) -> T {
        let mut st = self.lock();
        while !st.left && !ready(&st) {
            st = self.posted.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        then(&mut st)
    }

    /// A tracker stops early: nobody waits for it.
    pub(super) fn leave(&self) {
        self.lock().left = true;
        self.posted.notify_all();
    }

    /// The end of the tracker's next batch at clock `now` (the capture's last when `last`):
    /// a round in flight may end (its connections retired to `sink`), the count is posted, and
    /// a round may start. On the last batch everything happens at once: a round in flight ends,
    /// and one for the final count starts and ends.
    pub(super) fn batch_end(
        &self,
        seat: &mut Seat,
        last: bool,
        tracker: &mut Tracker,
        now: Option<Timestamp>,
        sink: &mut impl ConnSink,
    ) {
        let t = seat.batch;
        seat.batch += 1;
        if let Some((start, _)) = seat.round.filter(|(s, _)| last || *s + LAG == t) {
            seat.round = None;
            self.end_round(start, tracker, now, sink);
        }
        self.post_count(t, tracker.live());
        let read = if last { Some(t) } else { t.checked_sub(LAG) };
        let Some(at) = read.filter(|_| last || t >= seat.next_round) else {
            return;
        };
        let Some(total) = self.read_count(at).filter(|n| *n > self.max) else {
            return;
        };
        let n = total - (self.max - self.max / 10);
        self.post_candidates(t, tracker.oldest(n), n);
        if last {
            self.end_round(t, tracker, now, sink);
        } else {
            seat.round = Some((t, n));
            seat.next_round = t + 2 * LAG;
        }
    }

    fn post_count(&self, t: u64, live: usize) {
        let mut st = self.lock();
        let c = st.counts.entry(t).or_default();
        c.0 += 1;
        c.1 += live;
        drop(st);
        self.posted.notify_all();
    }

    /// The total count of batch `at`, once every tracker posted it.
    fn read_count(&self, at: u64) -> Option<usize> {
        let trackers = self.trackers;
        self.wait(
            |st| st.counts.get(&at).is_some_and(|c| c.0 == trackers),
            |st| {
                let c = st.counts.get_mut(&at)?;
                c.2 += 1;
                let total = c.1;
                if c.2 == trackers {
                    st.counts.remove(&at);
                }
                Some(total)
            },
        )
    }

    fn post_candidates(&self, round: u64, mine: Vec<(Timestamp, u64)>, n: usize) {
        let mut st = self.lock();
        let r = st.rounds.entry(round).or_default();
        r.posted += 1;
        r.oldest = merge_smallest(std::mem::take(&mut r.oldest), mine, n);
        drop(st);
        self.posted.notify_all();
    }

    /// Once every tracker posted its candidates for `round`: retires this tracker's
    /// connections idle at least as long as the `n`-th longest idle of them all.
    fn end_round(
        &self,
        round: u64,
        tracker: &mut Tracker,
        now: Option<Timestamp>,
        sink: &mut impl ConnSink,
    ) {
        let trackers = self.trackers;
        let cut = self.wait(
            |st| st.rounds.get(&round).is_some_and(|r| r.posted == trackers),
            |st| {
                let r = st.rounds.get_mut(&round)?;
                let cut = r.oldest.last().copied();
                r.applied += 1;
                if r.applied == trackers {
                    st.rounds.remove(&round);
                }
                cut
            },
        );
        if let (Some(cut), Some(now)) = (cut, now) {
            tracker.retire_upto(cut, now, sink);
        }
    }
}

/// The `n` smallest of two sorted lists, sorted.
fn merge_smallest(
    a: Vec<(Timestamp, u64)>,
    b: Vec<(Timestamp, u64)>,
    n: usize,
) -> Vec<(Timestamp, u64)> {
    let mut out = Vec::with_capacity(n.min(a.len() + b.len()));
    let (mut i, mut j) = (0, 0);
    while out.len() < n && (i < a.len() || j < b.len()) {
        if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> (Timestamp, u64) {
        (Timestamp::from_nanos(s), s as u64)
    }

    #[test]
    fn merges_the_smallest() {
        let a = vec![ts(1), ts(4), ts(6)];
        let b = vec![ts(2), ts(3), ts(9)];
        assert_eq!(merge_smallest(a, b, 4), vec![ts(1), ts(2), ts(3), ts(4)]);
        assert_eq!(merge_smallest(vec![], vec![ts(5)], 3), vec![ts(5)]);
    }
}
