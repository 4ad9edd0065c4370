//! The live connection table, laid out for a capture's access pattern: every segment looks up
//! its connection, and with hundreds of thousands of connections neither the table nor the
//! connections stay in the cache.
//!
//! A slot is the connection, boxed (whole or compact): 16 bytes, so the table itself stays
//! small enough for the cache, and a lookup a few segments ahead can find a connection's
//! address from the hash alone (the table's control bytes keep 7 bits of it: now and then it
//! finds another one, which only fetches the wrong one), without touching the connection, to
//! fetch it into the cache before it is needed. The exact lookup then compares the 4-tuple on
//! the connection, by then in cache; the key's hash is computed again when the table grows.
//!
//! A connection that is still only an attempt (nothing but SYNs and SYN-ACKs so far) and has
//! gone quiet is kept compact: its segments as a [`SegmentLog`] behind
//! a small header, about 120 bytes instead of 1.4 KB. A spoofed SYN flood is millions of them.
//! Its next segment, or its leaving the table, replays the log into the connection it was: the
//! same function of the same segments, so nothing a report shows depends on whether it was
//! compacted (checked on every compaction in debug builds, and by `tests/compact.rs` on every
//! capture of testdata and the corpus).

use super::{Flow, FlowKey};
use crate::decode::SegmentLog;
use crate::tcp::{Connection, TcpConfig};
use crate::time::Timestamp;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A live connection, whole or compact.
pub(super) enum Entry {
    /// Boxed: the table moves small slots when it grows, and a connection that ends goes to the
    /// sink in the box it lived in.
    Whole(Box<Flow>),
    /// `HEADER` bytes (the clock at its last segment, whether it reused a TIME-WAIT), then the
    /// segment log (its id is its first frame, in the log).
    Compact(ThinBytes),
}

/// At most 255 bytes behind a thin pointer, their length in the byte before them: with it an
/// [`Entry`] is 16 bytes, and a table slot too (a `Box<[u8]>` would make both 24; on a flood's
/// million attempts the table is 35 MB instead of 52).
pub struct ThinBytes(std::ptr::NonNull<u8>);

// SAFETY: a ThinBytes owns its allocation alone and never changes it: it is as Send and Sync as
// the Box<[u8]> it was made from.
unsafe impl Send for ThinBytes {}
unsafe impl Sync for ThinBytes {}

impl ThinBytes {
    /// `parts` one after the other; None if they are more than 255 bytes.
    fn new(parts: &[&[u8]]) -> Option<Self> {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        let len = u8::try_from(n).ok()?;
        let mut b = Vec::with_capacity(n + 1);
        b.push(len);
        for p in parts {
            b.extend_from_slice(p);
        }
        let raw: *mut [u8] = Box::into_raw(b.into_boxed_slice());
        // SAFETY: a Box's pointer is never null.
        Some(ThinBytes(unsafe {
            std::ptr::NonNull::new_unchecked(raw.cast::<u8>())
        }))
    }

    /// The whole allocation: the length byte, then the bytes.
    fn raw(&self) -> *mut [u8] {
        // SAFETY: the pointer is to an allocation of 1 + its first byte bytes, made in `new`.
        let len = usize::from(unsafe { *self.0.as_ptr() });
        std::ptr::slice_from_raw_parts_mut(self.0.as_ptr(), len + 1)
    }
}

impl std::ops::Deref for ThinBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `raw` spans exactly the allocation, which lives as long as self and is never
        // written after `new`.
        let all: &[u8] = unsafe { &*self.raw() };
        &all[1..]
    }
}

impl Drop for ThinBytes {
    fn drop(&mut self) {
        // SAFETY: `raw` is the pointer and length `Box::into_raw` gave in `new`: this rebuilds
        // that box, once.
        drop(unsafe { Box::from_raw(self.raw()) });
    }
}

const HEADER: usize = 9;

/// What the table's sweeps need of a connection, whole or compact, without expanding it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Meta {
    pub id: u64,
    pub last_clock: Timestamp,
    /// Its key's hash: with the id, what finds it again ([`ConnTable::take_by_id`]).
    pub hash: u64,
    /// Finished and waiting to be written (no idle timeout then).
    pub leaving: bool,
}

impl Entry {
    fn id_of(compact: &[u8]) -> u64 {
        SegmentLog::head(&compact[HEADER..]).2
    }

    fn id(&self) -> u64 {
        match self {
            Entry::Whole(c) => c.id,
            Entry::Compact(b) => Entry::id_of(b),
        }
    }

    fn key(&self) -> FlowKey {
        match self {
            Entry::Whole(c) => FlowKey::of(c),
            Entry::Compact(b) => {
                let (a, z, _) = SegmentLog::head(&b[HEADER..]);
                FlowKey::new(a, z)
            }
        }
    }

    fn meta(&self, hash: u64) -> Meta {
        match self {
            Entry::Whole(c) => Meta {
                id: c.id,
                last_clock: c.last_clock(),
                hash,
                leaving: c.leave_at.is_some(),
            },
            Entry::Compact(b) => Meta {
                id: self.id(),
                last_clock: Timestamp::from_nanos(i64::from_le_bytes(
                    b[0..8].try_into().expect("header"),
                )),
                hash,
                leaving: false,
            },
        }
    }

    /// The address of what a lookup will read, and how many bytes of it.
    fn addr(&self) -> (usize, usize) {
        match self {
            Entry::Whole(c) => (&**c as *const Flow as usize, std::mem::size_of::<Flow>()),
            Entry::Compact(b) => (b.as_ptr() as usize, b.len()),
        }
    }

    /// The whole connection, replayed from its log if compact.
    fn whole(&mut self, cfg: TcpConfig) -> &mut Box<Flow> {
        if let Entry::Compact(b) = self {
            *self = Entry::Whole(expand(b, cfg));
        }
        match self {
            Entry::Whole(c) => c,
            Entry::Compact(_) => unreachable!("expanded above"),
        }
    }

    fn into_whole(self, cfg: TcpConfig) -> Box<Flow> {
        match self {
            Entry::Whole(c) => c,
            Entry::Compact(b) => expand(&b, cfg),
        }
    }
}

/// A connection that has left the table: whole, or still compact until it is read (a sweep or
/// the capture's end may hand over a million attempts at once; they are made whole a chunk at
/// a time as they are written).
pub enum Ended {
    Whole(Box<Flow>),
    Compact {
        bytes: ThinBytes,
        at: Timestamp,
        retired: bool,
    },
}

impl Ended {
    pub(super) fn compact(bytes: ThinBytes, at: Timestamp, retired: bool) -> Self {
        Ended::Compact { bytes, at, retired }
    }

    pub fn id(&self) -> u64 {
        match self {
            Ended::Whole(c) => c.id,
            Ended::Compact { bytes, .. } => Entry::id_of(bytes),
        }
    }

    /// When it left the table.
    pub fn ended_at(&self) -> Timestamp {
        match self {
            Ended::Whole(c) => c.ended_at.unwrap_or_default(),
            Ended::Compact { at, .. } => *at,
        }
    }

    /// Where it lives and how many bytes of it are read first, to fetch it into the cache.
    pub fn addr(&self) -> (usize, usize) {
        match self {
            Ended::Whole(c) => (&**c as *const Flow as usize, std::mem::size_of::<Flow>()),
            Ended::Compact { bytes, .. } => (bytes.as_ptr() as usize, bytes.len()),
        }
    }

    /// The connection, made whole with `cfg` (the flow table's) if it was compact.
    pub fn into_connection(self, cfg: &TcpConfig) -> Box<Flow> {
        match self {
            Ended::Whole(c) => c,
            Ended::Compact { bytes, at, retired } => {
                let mut c = expand(&bytes, *cfg);
                c.retired = retired;
                c.replay = None;
                c.ended_at = Some(at);
                c.settle();
                c
            }
        }
    }
}

/// Whether a connection whose segments so far were all attempts is one still after `seg`:
/// `seg` is a SYN or a SYN-ACK (without FIN or RST: no ICMP error either), and the connection
/// is not finished. (Its originator may be taken for ESTABLISHED already: a SYN-ACK went to it.)
fn still_attempt(conn: &Connection, seg: &crate::decode::TcpSegment) -> bool {
    let f = seg.flags;
    f.syn() && !f.fin() && !f.rst() && seg.icmp.is_none() && !conn.is_finished()
}

/// The longest log kept: a SYN, its SYN-ACK and five retransmissions of it (Linux's
/// tcp_synack_retries) take about 160 bytes. An attempt that says more stays whole.
pub(super) const MAX_LOG: usize = 192;

/// Writes `seg`, just fed to `conn` at clock `now`, into its log, or drops the log for good
/// once the connection is more than an attempt.
pub(super) fn record(conn: &mut Connection, seg: &crate::decode::TcpSegment, now: Timestamp) {
    if conn.replay.is_none() {
        return;
    }
    let keep = still_attempt(conn, seg);
    match &mut conn.replay {
        Some(log) if keep && log.len() < MAX_LOG => log.push(seg, now),
        _ => conn.replay = None,
    }
}

/// The compact form of an attempt with a log (None when it would be more than 255 bytes).
fn compact(conn: &Connection) -> Option<ThinBytes> {
    let log = conn.replay.as_ref()?;
    let clock = conn.last_clock().as_nanos().to_le_bytes();
    ThinBytes::new(&[&clock, &[u8::from(conn.reused_time_wait)], log.as_bytes()])
}

/// The connection a compact form was made from, replayed.
fn expand(b: &[u8], cfg: TcpConfig) -> Box<Flow> {
    let mut conn: Option<Box<Flow>> = None;
    let log = SegmentLog::replay(&b[HEADER..], |seg, now| {
        let c = conn.get_or_insert_with(|| Box::new(Flow::new_from(seg, cfg)));
        c.clock = now;
        c.on_segment(seg);
        c.keep_for_ladder(seg, now, cfg.ladder_segments);
    });
    let mut conn = conn.expect("a compact form holds at least one segment");
    conn.reused_time_wait = b[8] != 0;
    conn.replay = Some(log);
    conn
}

/// Live connections by their direction-free 4-tuple.
pub(super) struct ConnTable {
    slots: HashTable<Entry>,
    /// What an expanded connection is built with.
    cfg: TcpConfig,
    compact: usize,
}

/// A key with its hash, computed once per segment.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hashed {
    pub key: FlowKey,
    pub hash: u64,
}

impl Hashed {
    pub fn new(key: FlowKey) -> Self {
        Hashed {
            key,
            hash: foldhash::fast::FixedState::with_seed(0x7ab1e).hash_one(key),
        }
    }
}

fn is(k: &Hashed) -> impl Fn(&Entry) -> bool + '_ {
    move |e| e.key() == k.key
}

impl ConnTable {
    pub fn new(cfg: TcpConfig) -> Self {
        ConnTable {
            slots: HashTable::new(),
            cfg,
            compact: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn set_zeek(&mut self, zeek: bool) {
        self.cfg.zeek = zeek;
    }

    /// Connections held in the compact form now.
    pub fn compact_len(&self) -> usize {
        self.compact
    }

    /// The connection of `k`, made whole if it was compact.
    pub fn get_mut(&mut self, k: &Hashed) -> Option<&mut Box<Flow>> {
        let e = self.slots.find_mut(k.hash, is(k))?;
        if matches!(e, Entry::Compact(_)) {
            self.compact -= 1;
        }
        Some(e.whole(self.cfg))
    }

    /// The whole connection `id` of a key with hash `hash`; None when it is compact (a timer
    /// never has business with a compact connection) or gone.
    pub fn whole_by_id(&mut self, hash: u64, id: u64) -> Option<&mut Box<Flow>> {
        match self.slots.find_mut(hash, |e| e.id() == id)? {
            Entry::Whole(c) => Some(c),
            Entry::Compact(_) => None,
        }
    }

    pub fn remove(&mut self, k: &Hashed) -> Option<Box<Flow>> {
        let cfg = self.cfg;
        self.take(k).map(|e| e.into_whole(cfg))
    }

    /// Removes the connection `id` of a key with hash `hash` as it is, whole or compact.
    pub fn take_by_id(&mut self, hash: u64, id: u64) -> Option<Entry> {
        let e = self
            .slots
            .find_entry(hash, |e| e.id() == id)
            .ok()?
            .remove()
            .0;
        Some(self.taken(e))
    }

    /// Removes the connection of `k` as it is, whole or compact.
    pub fn take(&mut self, k: &Hashed) -> Option<Entry> {
        let e = self.slots.find_entry(k.hash, is(k)).ok()?.remove().0;
        Some(self.taken(e))
    }

    fn taken(&mut self, e: Entry) -> Entry {
        if matches!(e, Entry::Compact(_)) {
            self.compact -= 1;
        }
        e
    }

    /// Adds a connection whose key is not in the table.
    pub fn insert_new(&mut self, k: &Hashed, conn: Box<Flow>) {
        debug_assert!(self.slots.find(k.hash, is(k)).is_none());
        self.slots
            .insert_unique(k.hash, Entry::Whole(conn), |e| Hashed::new(e.key()).hash);
    }

    /// Puts the connection of `k` in its compact form, if it has a log. Returns whether it did.
    pub fn compact(&mut self, k: &Hashed) -> bool {
        let Some(e) = self.slots.find_mut(k.hash, is(k)) else {
            return false;
        };
        let Entry::Whole(conn) = &*e else {
            return false;
        };
        let Some(b) = compact(conn) else {
            return false;
        };
        #[cfg(debug_assertions)]
        {
            let again = expand(&b, self.cfg);
            debug_assert_eq!(
                format!("{again:?}"),
                format!("{conn:?}"),
                "a compact connection replays into what it was"
            );
        }
        *e = Entry::Compact(b);
        self.compact += 1;
        true
    }

    /// Where the connection of a key with hash `hash` most likely lives (the first whose
    /// control byte matches: another one's now and then, which only fetches the wrong one),
    /// found without reading any connection.
    pub fn addr_by_hash(&self, hash: u64) -> Option<(usize, usize)> {
        self.slots.find(hash, |_| true).map(Entry::addr)
    }

    /// Every connection's id, clock and key's hash, whole or compact.
    pub fn metas(&self) -> impl Iterator<Item = Meta> + '_ {
        self.slots.iter().map(|e| e.meta(Hashed::new(e.key()).hash))
    }

    /// Every connection as it is.
    pub fn drain(&mut self) -> impl Iterator<Item = Entry> + '_ {
        self.compact = 0;
        self.slots.drain()
    }
}

#[cfg(test)]
mod tests;
