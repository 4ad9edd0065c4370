//! Who holds TIME-WAIT, by capture time: trackers report every entry and exit as an event; the
//! book replays them in time order (exits before entries at the same instant, as the timers run
//! before the segment) and keeps, per host, how many it holds, its peak and when.

use crate::series::{Kind, Series};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::IpAddr;

/// A side entered or left TIME-WAIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWaitEvent {
    pub ts: Timestamp,
    pub host: IpAddr,
    pub enter: bool,
    /// The connection's id: with the rest, a total order for the replay.
    pub conn: u64,
}

impl TimeWaitEvent {
    pub fn enter(ts: Timestamp, host: IpAddr, conn: u64) -> Self {
        TimeWaitEvent {
            ts,
            host,
            enter: true,
            conn,
        }
    }

    pub fn exit(ts: Timestamp, host: IpAddr, conn: u64) -> Self {
        TimeWaitEvent {
            ts,
            host,
            enter: false,
            conn,
        }
    }

    fn order(&self) -> (Timestamp, bool, u64, IpAddr) {
        (self.ts, self.enter, self.conn, self.host)
    }
}

/// How many connections one host held in TIME-WAIT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWaitHolder {
    /// Held now (at the end of the capture, once it is over).
    pub current: u64,
    pub peak: u64,
    pub peak_ts: Option<Timestamp>,
}

#[derive(Debug, Default)]
pub struct TimeWaitBook {
    hosts: HashMap<IpAddr, TimeWaitHolder, foldhash::fast::FixedState>,
    /// How many each host held over time, for the first [`SERIES_HOSTS`] hosts to hold any
    /// (a capture of a whole fleet has thousands; the charts show the busiest few).
    series: HashMap<IpAddr, Series, foldhash::fast::FixedState>,
}

/// How many connections each host held in TIME-WAIT over time.
pub type HostSeries = Vec<(IpAddr, Series)>;

/// Hosts whose TIME-WAIT is followed over time.
pub const SERIES_HOSTS: usize = 64;

impl TimeWaitBook {
    /// Replays a batch of events. Every event of a later batch must be no earlier than every
    /// event of this one (the trackers' clocks guarantee it).
    pub fn apply(&mut self, events: &mut [TimeWaitEvent]) {
        // Stable: each tracker's events come nearly in order, and a stable sort merges such runs.
        events.sort_by_key(TimeWaitEvent::order);
        for e in events.iter() {
            let h = self.hosts.entry(e.host).or_default();
            if e.enter {
                h.current += 1;
                if h.current > h.peak {
                    h.peak = h.current;
                    h.peak_ts = Some(e.ts);
                }
            } else {
                h.current = h.current.saturating_sub(1);
            }
            let held = h.current as f64;
            let room = self.series.len() < SERIES_HOSTS;
            match self.series.get_mut(&e.host) {
                Some(s) => s.level(e.ts, held),
                None if room => {
                    let mut s = Series::new(Kind::Peak);
                    s.level(e.ts, held);
                    self.series.insert(e.host, s);
                }
                None => {}
            }
        }
    }

    /// Every host that held TIME-WAIT, the busiest first.
    pub fn holders(self) -> Vec<(IpAddr, TimeWaitHolder)> {
        self.into_parts().0
    }

    /// The holders, the busiest first, and the series of those followed over time, in the same
    /// order.
    pub fn into_parts(self) -> (Vec<(IpAddr, TimeWaitHolder)>, HostSeries) {
        let mut v: Vec<(IpAddr, TimeWaitHolder)> = self.hosts.into_iter().collect();
        v.sort_by(|a, b| b.1.peak.cmp(&a.1.peak).then(a.0.cmp(&b.0)));
        let mut series = self.series;
        let s = v
            .iter()
            .filter_map(|(h, _)| series.remove(h).map(|s| (*h, s)))
            .collect();
        (v, s)
    }
}

#[cfg(test)]
mod tests;
