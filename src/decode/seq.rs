//! Sequence numbers, compared modulo 2³² (RFC 9293 §3.4) and never panicking: a capture can hold
//! any 32-bit value, so every operation here is total.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Sub};

/// A TCP sequence or acknowledgment number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// `self - other` as the signed distance modulo 2³²: positive when `self` is after `other`.
    pub fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// Modular order: `a.cmp_mod(b)` is `Less` when `a` comes before `b` in sequence space.
    pub fn cmp_mod(self, other: SeqNum) -> Ordering {
        self.diff(other).cmp(&0)
    }

    pub fn before(self, other: SeqNum) -> bool {
        self.diff(other) < 0
    }

    pub fn after(self, other: SeqNum) -> bool {
        self.diff(other) > 0
    }

    /// `start <= self < start + len` in sequence space (RFC 9293 §3.4's window test).
    pub fn in_window(self, start: SeqNum, len: u32) -> bool {
        self.0.wrapping_sub(start.0) < len
    }
}

/// `seq + len`, wrapping modulo 2³².
impl Add<u32> for SeqNum {
    type Output = SeqNum;
    fn add(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }
}

/// `seq - len`, wrapping modulo 2³² (never panics, unlike a plain `u32` subtraction).
impl Sub<u32> for SeqNum {
    type Output = SeqNum;
    fn sub(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(n))
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_around() {
        let a = SeqNum(u32::MAX - 1);
        let b = a + 5;
        assert_eq!(b, SeqNum(3));
        assert!(a.before(b));
        assert!(b.after(a));
        assert_eq!(b.diff(a), 5);
        assert_eq!(a.diff(b), -5);
        assert_eq!(b - 5, a);
    }

    #[test]
    fn half_space_apart_does_not_panic() {
        let a = SeqNum(0);
        let b = SeqNum(1 << 31);
        assert_eq!(b.diff(a), i32::MIN);
        assert_eq!(a.diff(b), i32::MIN);
        assert_eq!(SeqNum(u32::MAX).cmp_mod(SeqNum(0)), Ordering::Less);
    }

    #[test]
    fn window_test_is_modular() {
        let start = SeqNum(u32::MAX - 10);
        assert!(start.in_window(start, 1));
        assert!(SeqNum(5).in_window(start, 20));
        assert!(!SeqNum(10).in_window(start, 20));
        assert!(!start.in_window(start, 0));
    }
}
