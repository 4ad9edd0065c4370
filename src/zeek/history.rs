//! The history string: one letter per event kind and direction, bounded.

use super::MAX_HISTORY;

/// A bounded history string.
#[derive(Clone, Copy, Debug)]
pub(super) struct History {
    pub(super) buf: [u8; MAX_HISTORY],
    pub(super) len: usize,
}

impl History {
    pub(super) fn push(&mut self, c: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = c;
            self.len += 1;
        }
    }
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
    pub(super) fn set(&mut self, s: &str) {
        self.len = 0;
        for b in s.bytes() {
            self.push(b);
        }
    }
}
