//! Capture time. Every duration synack reports is measured on the capture's own timestamps, never
//! the wall clock; a [`Timestamp`] is nanoseconds since the Unix epoch, wide enough for any pcap or
//! pcapng timestamp, and all arithmetic on it saturates instead of overflowing.

use std::fmt;
use std::num::NonZeroU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Nanoseconds since 1970-01-01 00:00:00 UTC, as written in the capture (from `i64::MIN + 1`
/// to `i64::MAX`).
///
/// Stored with the sign bit flipped, as a non-zero unsigned number: the order is the same, and
/// `Option<Timestamp>` takes 8 bytes, not 16 (a connection holds a few dozen of them).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(NonZeroU64);

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SIGN: u64 = 1 << 63;

impl Timestamp {
    /// `nanos` since the epoch (`i64::MIN` saturates to the next value up).
    pub const fn from_nanos(nanos: i64) -> Self {
        match NonZeroU64::new((nanos as u64) ^ SIGN) {
            Some(n) => Timestamp(n),
            // Only i64::MIN maps to zero.
            None => Timestamp(NonZeroU64::MIN),
        }
    }

    /// From whole seconds and a nanosecond part; out-of-range inputs saturate.
    pub fn from_parts(secs: i64, nanos: i64) -> Self {
        Timestamp::from_nanos(secs.saturating_mul(NANOS_PER_SEC).saturating_add(nanos))
    }

    pub const fn as_nanos(self) -> i64 {
        (self.0.get() ^ SIGN) as i64
    }

    /// Seconds since the epoch as a JSON-friendly number (microsecond precision survives).
    pub fn as_secs_f64(self) -> f64 {
        let secs = self.as_nanos().div_euclid(NANOS_PER_SEC);
        let nanos = self.as_nanos().rem_euclid(NANOS_PER_SEC);
        secs as f64 + nanos as f64 / 1e9
    }

    /// `self - earlier`, clamped at zero (timestamps in captures are not always monotonic).
    pub fn since(self, earlier: Timestamp) -> Duration {
        let d = self.as_nanos().saturating_sub(earlier.as_nanos());
        if d <= 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos(d as u64)
        }
    }

    pub fn saturating_add(self, d: Duration) -> Timestamp {
        let n = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        Timestamp::from_nanos(self.as_nanos().saturating_add(n))
    }
}

/// The epoch.
impl Default for Timestamp {
    fn default() -> Self {
        Timestamp::from_nanos(0)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.as_nanos())
    }
}

/// Largest second humantime formats (9999-12-31T23:59:59Z).
const MAX_FORMATTABLE_SECS: i64 = 253_402_300_799;

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with microseconds, e.g. `2009-11-18T08:59:53.776000Z`; timestamps outside
    /// 1970..=9999 (a damaged capture) print as raw seconds instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.as_nanos().div_euclid(NANOS_PER_SEC);
        if (0..=MAX_FORMATTABLE_SECS).contains(&secs) {
            let t: SystemTime = UNIX_EPOCH + Duration::from_nanos(self.as_nanos() as u64);
            write!(f, "{}", humantime::format_rfc3339_micros(t))
        } else {
            write!(f, "{:.6}s", self.as_secs_f64())
        }
    }
}

/// A duration for people: `0.0012 s`, `3.5 s`, `2 m 5.0 s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{:.3} ms", secs * 1e3)
    } else if secs < 120.0 {
        format!("{secs:.3} s")
    } else {
        let whole = d.as_secs();
        let (h, m, s) = (whole / 3600, (whole / 60) % 60, whole % 60);
        if h > 0 {
            format!("{h} h {m} m {s} s")
        } else {
            format!("{m} m {s} s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_rfc3339_utc_micros() {
        let t = Timestamp::from_parts(1_258_534_793, 776_000_123);
        assert_eq!(t.to_string(), "2009-11-18T08:59:53.776000Z");
    }

    #[test]
    fn display_out_of_range_does_not_panic() {
        assert_eq!(
            Timestamp::from_nanos(-1_500_000_000).to_string(),
            "-1.500000s"
        );
        assert!(Timestamp::from_nanos(i64::MAX)
            .to_string()
            .starts_with("2262-04-11T"));
        assert!(Timestamp::from_nanos(i64::MIN).to_string().ends_with('s'));
    }

    #[test]
    fn since_clamps_backwards_time() {
        let a = Timestamp::from_nanos(5);
        let b = Timestamp::from_nanos(2);
        assert_eq!(a.since(b), Duration::from_nanos(3));
        assert_eq!(b.since(a), Duration::ZERO);
    }

    #[test]
    fn order_and_round_trip_survive_the_packing() {
        let v = [i64::MIN + 1, -5, -1, 0, 1, 7, i64::MAX];
        for w in v.windows(2) {
            assert!(Timestamp::from_nanos(w[0]) < Timestamp::from_nanos(w[1]));
        }
        for n in v {
            assert_eq!(Timestamp::from_nanos(n).as_nanos(), n);
        }
        assert_eq!(Timestamp::from_nanos(i64::MIN).as_nanos(), i64::MIN + 1);
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 8);
    }

    #[test]
    fn secs_f64_keeps_micros() {
        let t = Timestamp::from_parts(1_700_000_000, 1_000);
        assert_eq!(format!("{}", t.as_secs_f64()), "1700000000.000001");
    }

    #[test]
    fn durations_read_for_people() {
        assert_eq!(format_duration(Duration::from_micros(1200)), "1.200 ms");
        assert_eq!(format_duration(Duration::from_millis(3500)), "3.500 s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2 m 5 s");
    }
}
