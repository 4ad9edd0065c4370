//! Values over capture time in bounded memory: at most [`INTERVALS`] intervals of equal width,
//! from the first time seen. When a time past the last interval comes, the width doubles and
//! neighbouring intervals merge, so a 10-second capture and a 10-hour one give series of the
//! same size, each as fine as its length allows. The charts (the report's sparklines, the HTML
//! page) draw these.

use crate::time::Timestamp;

/// Intervals a series holds at most.
pub const INTERVALS: usize = 256;

/// The narrowest interval: 1 ms.
const FIRST_WIDTH_NS: u64 = 1_000_000;

/// How an interval's values combine, and how two intervals merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Events counted: added; merged by adding.
    Count,
    /// A level sampled at events (connections held): the highest in the interval; merged by
    /// the higher. An interval with no event holds the level the last event left.
    Peak,
    /// A level kept over spans (connections open): the time-weighted mean over the interval;
    /// merged by the mean.
    Mean,
}

/// One series.
#[derive(Clone, Debug)]
pub struct Series {
    kind: Kind,
    start: Option<i64>,
    width: u64,
    values: Vec<f64>,
    /// `Peak`: the level the last event left, and the interval it fell in.
    level: f64,
    last: usize,
}

impl Default for Series {
    /// A `Mean` series.
    fn default() -> Self {
        Series::new(Kind::Mean)
    }
}

impl Series {
    pub fn new(kind: Kind) -> Self {
        Series {
            kind,
            start: None,
            width: FIRST_WIDTH_NS,
            values: Vec::new(),
            level: 0.0,
            last: 0,
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The interval `t` falls in, widening the series until it fits; a time before the start
    /// moves the start back (a long connection ends after shorter, later ones).
    fn slot(&mut self, t: Timestamp) -> usize {
        let t = t.as_nanos();
        let start = *self.start.get_or_insert(t);
        if t < start {
            // Whole intervals in front, widening while they would be too many.
            loop {
                let back = u64::try_from(start.saturating_sub(t)).unwrap_or(u64::MAX);
                let k = back.div_ceil(self.width);
                if usize::try_from(k)
                    .unwrap_or(usize::MAX)
                    .saturating_add(self.values.len())
                    <= INTERVALS
                {
                    let k = k as usize;
                    let mut front = vec![0.0; k];
                    front.extend_from_slice(&self.values);
                    self.values = front;
                    self.last += k;
                    let back =
                        i64::try_from((k as u64).saturating_mul(self.width)).unwrap_or(i64::MAX);
                    self.start = Some(start.saturating_sub(back));
                    break;
                }
                self.widen();
            }
            let start = self.start.unwrap_or(t);
            let off = u64::try_from(t.saturating_sub(start)).unwrap_or(0);
            return (off / self.width) as usize;
        }
        let off = u64::try_from(t.saturating_sub(start)).unwrap_or(0);
        while off / self.width >= INTERVALS as u64 {
            self.widen();
        }
        let i = (off / self.width) as usize;
        if self.values.len() <= i {
            // A level carries into the intervals nothing happened in.
            let fill = if self.kind == Kind::Peak {
                self.level
            } else {
                0.0
            };
            self.values.resize(i + 1, fill);
        }
        i
    }

    fn widen(&mut self) {
        let merged: Vec<f64> = self
            .values
            .chunks(2)
            .map(|p| match (self.kind, p) {
                (Kind::Count, [a, b]) => a + b,
                (Kind::Peak, [a, b]) => a.max(*b),
                (Kind::Mean, [a, b]) => (a + b) / 2.0,
                // The last interval alone: half of it is still to come.
                (Kind::Mean, [a]) => a / 2.0,
                (_, [a]) => *a,
                _ => 0.0,
            })
            .collect();
        self.values = merged;
        self.last /= 2;
        self.width = self.width.saturating_mul(2);
    }

    /// `Count`: `v` more at `t`.
    pub fn count(&mut self, t: Timestamp, v: f64) {
        let i = self.slot(t);
        self.values[i] += v;
    }

    /// `Peak`: the level is `v` from `t` on (times come in order).
    pub fn level(&mut self, t: Timestamp, v: f64) {
        let i = self.slot(t);
        for x in &mut self.values[self.last.min(i)..i] {
            *x = x.max(self.level);
        }
        self.values[i] = self.values[i].max(v);
        self.level = v;
        self.last = i;
    }

    /// `Mean`: `v` more over `[from, to)` (spans may come in any order).
    pub fn span(&mut self, from: Timestamp, to: Timestamp, v: f64) {
        let to = to.max(from);
        // The start moves back for `from`, the width grows for `to` (which never moves the
        // start): then both indexes hold.
        self.slot(from);
        self.slot(to);
        let start = self.start.unwrap_or(0);
        let index = |t: Timestamp| {
            (u64::try_from(t.as_nanos().saturating_sub(start)).unwrap_or(0) / self.width) as usize
        };
        let (i, j) = (index(from), index(to).min(self.values.len() - 1));
        let w = self.width as f64;
        let (a, b) = (
            (from.as_nanos().saturating_sub(start)) as f64,
            (to.as_nanos().saturating_sub(start)) as f64,
        );
        for k in i..=j {
            let (lo, hi) = (k as f64 * w, (k + 1) as f64 * w);
            let overlap = (b.min(hi) - a.max(lo)).max(0.0);
            self.values[k] += v * overlap / w;
        }
    }

    /// The intervals: (start, value) each, in order, up to the last with a value.
    pub fn points(&self) -> Vec<(Timestamp, f64)> {
        let start = self.start.unwrap_or(0);
        self.values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let off = (i as u64).saturating_mul(self.width);
                let t = start.saturating_add(i64::try_from(off).unwrap_or(i64::MAX));
                (Timestamp::from_nanos(t), *v)
            })
            .collect()
    }

    /// The width of an interval.
    pub fn width(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.width)
    }

    /// `n` values at most, neighbours merged as the series merges them (for a sparkline).
    pub fn resampled(&self, n: usize) -> Vec<f64> {
        let mut s = self.clone();
        while s.values.len() > n.max(1) {
            s.widen();
        }
        s.values
    }
}

/// A sparkline of `values`: one of ▁▂▃▄▅▆▇█ each, scaled to the highest (a blank for none).
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().fold(0.0, f64::max);
    values
        .iter()
        .map(|v| {
            if *v <= 0.0 || max <= 0.0 {
                ' '
            } else {
                BARS[(((v / max) * 7.0).round() as usize).min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
    }

    #[test]
    fn counts_merge_as_the_series_grows() {
        let mut s = Series::new(Kind::Count);
        for ms in 0..1000 {
            s.count(at(ms), 1.0);
        }
        assert!(s.points().len() <= INTERVALS);
        assert_eq!(s.points().iter().map(|p| p.1).sum::<f64>(), 1000.0);
        // 1000 ms in at most 256 intervals: 4 ms each.
        assert_eq!(s.width(), std::time::Duration::from_millis(4));
        // Ten hours later: still bounded, nothing lost.
        s.count(at(36_000_000), 5.0);
        assert!(s.points().len() <= INTERVALS);
        assert_eq!(s.points().iter().map(|p| p.1).sum::<f64>(), 1005.0);
    }

    #[test]
    fn a_level_carries_and_keeps_its_peak() {
        let mut s = Series::new(Kind::Peak);
        s.level(at(0), 1.0);
        s.level(at(10), 7.0);
        s.level(at(11), 3.0);
        s.level(at(100), 0.0);
        let v: Vec<f64> = s.points().iter().map(|p| p.1).collect();
        assert_eq!(v[0], 1.0);
        assert_eq!(v[10], 7.0, "the peak within its interval");
        assert_eq!(v[50], 3.0, "carried while nothing happened");
        assert_eq!(v[100], 3.0, "the interval of the drop held 3 before it");
        assert_eq!(s.resampled(8).iter().copied().fold(0.0, f64::max), 7.0);
    }

    /// Timestamps from the two ends of what a capture can hold (a corrupt record): bounded,
    /// no overflow.
    #[test]
    fn extreme_times() {
        for kind in [Kind::Count, Kind::Peak, Kind::Mean] {
            let mut s = Series::new(kind);
            let (lo, hi) = (
                Timestamp::from_nanos(i64::MIN + 1),
                Timestamp::from_nanos(i64::MAX),
            );
            match kind {
                Kind::Count => {
                    s.count(hi, 1.0);
                    s.count(lo, 1.0);
                }
                Kind::Peak => {
                    s.level(lo, 1.0);
                    s.level(hi, 2.0);
                }
                Kind::Mean => {
                    s.span(hi, hi, 1.0);
                    s.span(lo, hi, 1.0);
                }
            }
            assert!(s.points().len() <= INTERVALS);
            assert!(!sparkline(&s.resampled(40)).is_empty());
        }
    }

    #[test]
    fn spans_are_time_weighted() {
        let mut s = Series::new(Kind::Mean);
        // Two connections open over the same 100 ms, one for half of it.
        s.span(at(0), at(100), 1.0);
        s.span(at(50), at(100), 1.0);
        let v: Vec<f64> = s.points().iter().map(|p| p.1).collect();
        assert!(
            (v[10] - 1.0).abs() < 1e-9 && (v[60] - 2.0).abs() < 1e-9,
            "{v:?}"
        );
        // Merged to 64 ms intervals: [0, 64) holds 1 throughout and 2 for 14 ms.
        let v = s.resampled(2);
        assert!((v[0] - (1.0 + 14.0 / 64.0)).abs() < 1e-9, "{v:?}");
        // A span before the start moves it back.
        let mut s = Series::new(Kind::Mean);
        s.span(at(1000), at(1010), 1.0);
        s.span(at(0), at(10), 1.0);
        assert_eq!(s.points()[0].0, at(0));
        assert!(
            (s.points().iter().map(|p| p.1).sum::<f64>() * s.width().as_secs_f64() - 0.02).abs()
                < 1e-9
        );
        assert_eq!(sparkline(&[0.0, 1.0, 2.0]), " ▅█");
    }
}
