//! The reassembler's blocks above a hole (`TCP_Reassembler`), enough to find gaps.

use super::MAX_BLOCKS;

/// The reassembler's blocks above a hole: most connections never have one, so the list lives
/// in a box only while it holds a block (an endpoint is 72 bytes smaller for it).
#[derive(Clone, Debug, Default)]
pub(super) struct Blocks(Option<Box<BlockList>>);

/// Up to [`MAX_BLOCKS`] `(start, end)` ranges, and how many are in use.
pub(super) type BlockList = ([(u64, u64); MAX_BLOCKS], usize);

impl Blocks {
    pub(super) fn slice(&self) -> &[(u64, u64)] {
        self.0.as_deref().map_or(&[], |(b, n)| &b[..*n])
    }

    pub(super) fn copied(&self) -> ([(u64, u64); MAX_BLOCKS], usize) {
        self.0
            .as_deref()
            .copied()
            .unwrap_or(([(0, 0); MAX_BLOCKS], 0))
    }

    pub(super) fn clear(&mut self) {
        self.0 = None;
    }

    /// Replaces the blocks with `kept` (at most [`MAX_BLOCKS`]).
    pub(super) fn set(&mut self, kept: &[(u64, u64)]) {
        if kept.is_empty() {
            self.0 = None;
            return;
        }
        let (b, n) = &mut **self
            .0
            .get_or_insert_with(|| Box::new(([(0, 0); MAX_BLOCKS], 0)));
        b[..kept.len()].copy_from_slice(kept);
        *n = kept.len();
    }

    /// Keeps, in order, what `f` maps each block to.
    pub(super) fn retain_map(&mut self, mut f: impl FnMut((u64, u64)) -> Option<(u64, u64)>) {
        let (kept, n) = {
            let mut kept = [(0u64, 0u64); MAX_BLOCKS];
            let mut n = 0;
            for &b in self.slice() {
                if let Some(b) = f(b) {
                    kept[n] = b;
                    n += 1;
                }
            }
            (kept, n)
        };
        self.set(&kept[..n]);
    }
}
