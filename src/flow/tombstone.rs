//! What stays of a connection once it has been written: its tombstone, for the rest of its
//! 2×MSL (CONTRACT.md, "When a connection is written, and TIME-WAIT").
//!
//! A tombstone holds only what the rest of the capture can still need: the 4-tuple, to know the
//! connection's late segments (counted, never taken for a new connection picked up mid-stream);
//! the end of each side's TIME-WAIT, to count it per host until then, to restart it when the
//! peer's FIN is retransmitted (RFC 9293 §3.10.7.4: TIME-WAIT acknowledges the FIN and restarts
//! the 2 MSL timeout) and to see a new SYN arrive into it (TW003); and the connection's id.
//!
//! An IPv4 tombstone is 40 bytes, an IPv6 one 64 (plus 5 bytes of index): the finished
//! connection it replaces was 1.6 KB. The originator's ISN is kept too, so that a SYN carrying
//! it again is a late retransmission, never a new connection. Tombstones live in a ring (in
//! chunks of 4096) in the order they were made, which is also the order they expire
//! (each lasts 2×MSL from its connection's last segment, and the clock only moves forward), so
//! the ring is their timer queue too; a hash index over the ring finds one by its 4-tuple. One
//! whose 2×MSL a retransmitted FIN restarted is moved to the back when the front reaches it.

use super::table::Hashed;
use super::FlowKey;
use crate::time::Timestamp;
use hashbrown::HashTable;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A 4-tuple packed without padding: IPv4 ([`Key4`]) or IPv6 ([`Key6`]).
pub(super) trait PackedKey: Copy + Eq {
    fn pack(k: &FlowKey) -> Option<Self>;
    fn unpack(&self) -> FlowKey;
}

/// lo address, lo port, hi address, hi port.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Key4([u8; 12]);

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Key6([u8; 36]);

const V4_MAPPED: u128 = 0xffff_0000_0000;

impl PackedKey for Key4 {
    fn pack(k: &FlowKey) -> Option<Self> {
        let v4 = |a: u128| (a >> 32 == V4_MAPPED >> 32).then_some(a as u32);
        let (lo, hi) = (v4(k.lo.0)?, v4(k.hi.0)?);
        let mut b = [0u8; 12];
        b[0..4].copy_from_slice(&lo.to_be_bytes());
        b[4..6].copy_from_slice(&k.lo.1.to_be_bytes());
        b[6..10].copy_from_slice(&hi.to_be_bytes());
        b[10..12].copy_from_slice(&k.hi.1.to_be_bytes());
        Some(Key4(b))
    }

    fn unpack(&self) -> FlowKey {
        let b = &self.0;
        let addr = |i: usize| {
            V4_MAPPED | u128::from(u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]))
        };
        let port = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        FlowKey {
            lo: (addr(0), port(4)),
            hi: (addr(6), port(10)),
        }
    }
}

impl PackedKey for Key6 {
    fn pack(k: &FlowKey) -> Option<Self> {
        let mut b = [0u8; 36];
        b[0..16].copy_from_slice(&k.lo.0.to_be_bytes());
        b[16..18].copy_from_slice(&k.lo.1.to_be_bytes());
        b[18..34].copy_from_slice(&k.hi.0.to_be_bytes());
        b[34..36].copy_from_slice(&k.hi.1.to_be_bytes());
        Some(Key6(b))
    }

    fn unpack(&self) -> FlowKey {
        let b = &self.0;
        let addr = |i: usize| u128::from_be_bytes(b[i..i + 16].try_into().unwrap_or([0; 16]));
        let port = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        FlowKey {
            lo: (addr(0), port(16)),
            hi: (addr(18), port(34)),
        }
    }
}

/// An address of a [`FlowKey`] endpoint, as the `IpAddr` it came from.
pub(super) fn addr_of(a: u128) -> IpAddr {
    if a >> 32 == V4_MAPPED >> 32 {
        IpAddr::V4(Ipv4Addr::from(a as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(a))
    }
}

/// Tombstones per chunk of the ring: 192 KB for IPv4.
const CHUNK: usize = 4096;

/// A queue in fixed chunks: it grows a chunk at a time and frees each chunk as its last
/// element leaves, so it never holds twice its size while copying itself as a doubling
/// `VecDeque` does (at 290 000 tombstones that copy alone took 25 MB).
struct Ring<T> {
    chunks: VecDeque<Vec<T>>,
    /// Where the front element sits in the first chunk.
    front: usize,
    len: usize,
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Ring {
            chunks: VecDeque::new(),
            front: 0,
            len: 0,
        }
    }
}

impl<T: Copy> Ring<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn push_back(&mut self, t: T) {
        if self.chunks.back().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push_back(Vec::with_capacity(CHUNK));
        }
        if let Some(c) = self.chunks.back_mut() {
            c.push(t);
            self.len += 1;
        }
    }

    fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let j = self.front + i;
        self.chunks.get(j / CHUNK)?.get(j % CHUNK)
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let j = self.front + i;
        self.chunks.get_mut(j / CHUNK)?.get_mut(j % CHUNK)
    }

    fn front(&self) -> Option<&T> {
        self.get(0)
    }

    fn pop_front(&mut self) -> Option<T> {
        let t = *self.get(0)?;
        self.front += 1;
        self.len -= 1;
        if self.front == CHUNK || self.len == 0 {
            self.chunks.pop_front();
            self.front = 0;
        }
        Some(t)
    }
}

/// One written connection's remains.
#[derive(Clone, Copy)]
pub(super) struct Tomb<K> {
    key: K,
    /// The connection's id (its first frame), in 5 bytes: a capture of more than a trillion
    /// frames would see ids wrap here (8 bytes saved a tombstone, 9 MB on a busy server's
    /// 1.1 million).
    id: [u8; 5],
    /// When the tombstone goes: 2×MSL after the connection's last segment, or later when a
    /// side's TIME-WAIT was restarted.
    pub until: Timestamp,
    /// How long before `until` each side's TIME-WAIT ends, in µs (`[orig, resp]`; [`NO_TW`]
    /// for a side not in TIME-WAIT): 8 bytes where two timestamps take 16.
    tw_before_us: [u32; 2],
    /// The originator's ISN: a SYN carrying it again is a late retransmission of the written
    /// attempt, never a new connection (CONTRACT.md: same-ISN SYNs never split a connection).
    isn: u32,
    /// Segments that came for the connection after it was written.
    pub late: u16,
    /// Bit 0: the originator is the key's lower endpoint. Bits 1, 2: the orig's, resp's
    /// TIME-WAIT is in the per-host figures. Bit 3: gone (a new connection took the 4-tuple).
    /// Bit 4: restarted (its end moved past where the ring has it).
    flags: u8,
}

const ORIG_IS_LO: u8 = 1;
const COUNTED: [u8; 2] = [2, 4];
const GONE: u8 = 8;
const RESTARTED: u8 = 16;
const HAS_ISN: u8 = 32;
const NO_TW: u32 = u32::MAX;

/// What the flow table tells a tombstone when it is made.
pub(super) struct Remains {
    pub id: u64,
    pub until: Timestamp,
    pub time_wait_until: [Option<Timestamp>; 2],
    /// The originator's ISN, if it sent a SYN.
    pub isn: Option<u32>,
    /// Whose TIME-WAIT the per-host figures count.
    pub counted: [bool; 2],
    pub orig_is_lo: bool,
}

impl<K: PackedKey> Tomb<K> {
    /// The connection's id.
    pub fn id(&self) -> u64 {
        let mut b = [0u8; 8];
        b[..5].copy_from_slice(&self.id);
        u64::from_le_bytes(b)
    }

    pub fn key(&self) -> FlowKey {
        self.key.unpack()
    }

    /// Whether side `d` (0 orig, 1 resp) of the key is its lower endpoint.
    pub fn is_lo(&self, side: usize) -> bool {
        (self.flags & ORIG_IS_LO != 0) == (side == 0)
    }

    /// The address of side `side` (0 orig, 1 resp).
    pub fn host(&self, side: usize) -> IpAddr {
        let k = self.key();
        addr_of(if self.is_lo(side) { k.lo.0 } else { k.hi.0 })
    }

    pub fn counted(&self, side: usize) -> bool {
        self.flags & COUNTED[side] != 0
    }

    /// When side `side`'s TIME-WAIT ends, if it is in TIME-WAIT.
    pub fn time_wait_until(&self, side: usize) -> Option<Timestamp> {
        let us = self.tw_before_us[side];
        (us != NO_TW).then(|| {
            Timestamp::from_nanos(
                self.until
                    .as_nanos()
                    .saturating_sub(i64::from(us).saturating_mul(1000)),
            )
        })
    }

    fn set_time_wait_until(&mut self, side: usize, end: Option<Timestamp>) {
        self.tw_before_us[side] = end.map_or(NO_TW, |end| {
            u32::try_from(self.until.since(end).as_micros()).unwrap_or(NO_TW - 1)
        });
    }

    /// Whether `seq` is the ISN of the originator's SYN.
    pub fn is_isn(&self, seq: u32) -> bool {
        self.flags & HAS_ISN != 0 && self.isn == seq
    }

    /// Side `side`'s TIME-WAIT is over: returns whether the figures counted it.
    pub fn end_time_wait(&mut self, side: usize) -> bool {
        self.tw_before_us[side] = NO_TW;
        let was = self.counted(side);
        self.flags &= !COUNTED[side];
        was
    }

    pub fn gone(&self) -> bool {
        self.flags & GONE != 0
    }

    /// The peer retransmitted its FIN at `now`: side `side`, in TIME-WAIT, acknowledges it and
    /// starts its 2×MSL again (RFC 9293 §3.10.7.4).
    pub fn restart_time_wait(&mut self, side: usize, now: Timestamp, two_msl: std::time::Duration) {
        let end = now.saturating_add(two_msl);
        if end > self.until {
            // Both ends are kept relative to `until`: move them with it.
            let other = self.time_wait_until(1 - side);
            self.until = end;
            self.set_time_wait_until(1 - side, other);
            self.flags |= RESTARTED;
        }
        self.set_time_wait_until(side, Some(end));
    }
}

/// The tombstones of one address family, in the order they were made.
pub(super) struct Tombstones<K> {
    ring: Ring<Tomb<K>>,
    /// The sequence number of the ring's front: tombstone `s` sits at `s - head`.
    head: u32,
    /// Sequence numbers of the tombstones not gone, by 4-tuple hash: 32 bits, wrapping (fewer
    /// than 4 billion tombstones live at once), 5 bytes a slot where 64-bit ones take 9.
    index: HashTable<u32>,
    /// Tombstones due before one already ahead of them in the ring (written 2 s after a RST
    /// behind one written 150 ms after a close; a simultaneous close written when its first
    /// TIME-WAIT ended), by when they are due: a few, looked at before the ring's front.
    early: BinaryHeap<Reverse<(Timestamp, u32)>>,
    /// The latest end of a tombstone in ring order: one due before it is early.
    latest: Option<Timestamp>,
}

impl<K> Default for Tombstones<K> {
    fn default() -> Self {
        Tombstones {
            ring: Ring::default(),
            head: 0,
            index: HashTable::new(),
            early: BinaryHeap::new(),
            latest: None,
        }
    }
}

/// The hash the live table uses for a key: one hash computed per segment serves both.
fn hash_of(k: &FlowKey) -> u64 {
    Hashed::new(*k).hash
}

impl<K: PackedKey> Tombstones<K> {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    fn slot_mut(&mut self, seq: u32) -> Option<&mut Tomb<K>> {
        self.ring
            .get_mut(usize::try_from(seq.wrapping_sub(self.head)).ok()?)
    }

    /// Adds the tombstone of the connection keyed `k` (which has none yet).
    pub fn add(&mut self, k: &Hashed, packed: K, r: Remains) {
        let mut flags = if r.orig_is_lo { ORIG_IS_LO } else { 0 };
        for (side, bit) in COUNTED.iter().enumerate() {
            if r.counted[side] && r.time_wait_until[side].is_some() {
                flags |= bit;
            }
        }
        if r.isn.is_some() {
            flags |= HAS_ISN;
        }
        let seq = self.head.wrapping_add(self.ring.len() as u32);
        let mut t = Tomb {
            key: packed,
            id: {
                let b = r.id.to_le_bytes();
                [b[0], b[1], b[2], b[3], b[4]]
            },
            until: r.until,
            tw_before_us: [NO_TW; 2],
            isn: r.isn.unwrap_or(0),
            late: 0,
            flags,
        };
        for side in 0..2 {
            t.set_time_wait_until(side, r.time_wait_until[side]);
        }
        self.place(t.until, seq);
        self.ring.push_back(t);
        let ring = &self.ring;
        let head = self.head;
        self.index.insert_unique(k.hash, seq, |s| {
            let at = s.wrapping_sub(head) as usize;
            ring.get(at).map_or(0, |t| hash_of(&t.key.unpack()))
        });
    }

    /// The tombstone of `k`, if it has one.
    pub fn get_mut(&mut self, k: &Hashed, packed: K) -> Option<&mut Tomb<K>> {
        let (ring, head) = (&self.ring, self.head);
        let seq = *self.index.find(k.hash, |s| {
            ring.get(s.wrapping_sub(head) as usize)
                .is_some_and(|t| t.key == packed)
        })?;
        self.slot_mut(seq)
    }

    /// A new connection takes the 4-tuple of `k`: its tombstone is gone, and handed back.
    pub fn take(&mut self, k: &Hashed, packed: K) -> Option<Tomb<K>> {
        let (ring, head) = (&self.ring, self.head);
        let entry = self
            .index
            .find_entry(k.hash, |s| {
                ring.get(s.wrapping_sub(head) as usize)
                    .is_some_and(|t| t.key == packed)
            })
            .ok()?;
        let (seq, _) = entry.remove();
        let t = self.slot_mut(seq)?;
        let out = *t;
        t.flags |= GONE;
        Some(out)
    }

    /// The front tombstone, when it is due at `now`: taken off the ring. One whose 2×MSL a
    /// retransmitted FIN restarted goes to the back instead, and the next is looked at.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<Tomb<K>> {
        while let Some(&Reverse((until, seq))) = self.early.peek() {
            if until > now {
                break;
            }
            self.early.pop();
            let Some(t) = self.slot_mut(seq) else {
                continue;
            };
            // Taken by a new connection, or restarted since (the ring then handles it).
            if t.gone() || t.until != until {
                continue;
            }
            let out = *t;
            t.flags |= GONE;
            self.unlink(&out, seq);
            return Some(out);
        }
        loop {
            let front = self.ring.front()?;
            if !front.gone() && front.until > now && front.flags & RESTARTED == 0 {
                return None;
            }
            let mut t = self.ring.pop_front()?;
            let seq = self.head;
            self.head = self.head.wrapping_add(1);
            if t.gone() {
                continue;
            }
            if t.until > now {
                t.flags &= !RESTARTED;
                let new_seq = self.head.wrapping_add(self.ring.len() as u32);
                self.relink(&t, seq, new_seq);
                self.place(t.until, new_seq);
                self.ring.push_back(t);
                continue;
            }
            self.unlink(&t, seq);
            return Some(t);
        }
    }

    /// A tombstone due at `until` goes to the back of the ring as `seq`: early if one ahead of
    /// it is due later.
    fn place(&mut self, until: Timestamp, seq: u32) {
        if self.latest.is_some_and(|l| until < l) {
            self.early.push(Reverse((until, seq)));
        } else {
            self.latest = Some(until);
        }
    }

    /// Points the index entry of `t` from `old` to `new`.
    fn relink(&mut self, t: &Tomb<K>, old: u32, new: u32) {
        let hash = hash_of(&t.key.unpack());
        if let Some(s) = self.index.find_mut(hash, |s| *s == old) {
            *s = new;
        }
    }

    fn unlink(&mut self, t: &Tomb<K>, seq: u32) {
        let hash = hash_of(&t.key.unpack());
        if let Ok(e) = self.index.find_entry(hash, |s| *s == seq) {
            e.remove();
        }
    }

    #[cfg(test)]
    pub fn seq_of(&self, k: &Hashed, packed: K) -> Option<u32> {
        let (ring, head) = (&self.ring, self.head);
        self.index
            .find(k.hash, |s| {
                ring.get(s.wrapping_sub(head) as usize)
                    .is_some_and(|t| t.key == packed)
            })
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Endpoint;

    fn key(a: &str, ap: u16, b: &str, bp: u16) -> FlowKey {
        FlowKey::new(
            Endpoint {
                addr: a.parse().unwrap(),
                port: ap,
            },
            Endpoint {
                addr: b.parse().unwrap(),
                port: bp,
            },
        )
    }

    #[test]
    fn the_ring_keeps_order_across_chunks_and_frees_them() {
        let mut r = Ring::default();
        for i in 0..CHUNK * 2 + 10 {
            r.push_back(i);
        }
        assert_eq!(r.chunks.len(), 3);
        assert_eq!(r.get(CHUNK + 5), Some(&(CHUNK + 5)));
        for i in 0..CHUNK + 1 {
            assert_eq!(r.pop_front(), Some(i));
        }
        assert_eq!(r.chunks.len(), 2, "the first chunk is freed");
        assert_eq!(r.front(), Some(&(CHUNK + 1)));
        assert_eq!(r.get(CHUNK - 1 + 10 - 1), Some(&(CHUNK * 2 + 9)));
        assert_eq!(r.get(CHUNK * 2), None);
        *r.get_mut(0).unwrap() = 7;
        assert_eq!(r.pop_front(), Some(7));
        while r.pop_front().is_some() {}
        assert_eq!((r.len(), r.chunks.len()), (0, 0));
    }

    #[test]
    fn a_tombstone_due_before_those_ahead_of_it_goes_on_time() {
        let t = |s: i64| Timestamp::from_parts(s, 0);
        let mut ts = Tombstones::<Key4>::default();
        let keys: Vec<Hashed> = (0..3)
            .map(|i| Hashed::new(key("10.0.0.1", 40000 + i, "10.0.0.2", 80)))
            .collect();
        // Written in this order, due at 61, 60 (early: written 2 s after a RST) and 62.
        for (i, (k, until)) in keys.iter().zip([61, 60, 62]).enumerate() {
            ts.add(
                k,
                Key4::pack(&k.key).unwrap(),
                Remains {
                    id: i as u64,
                    until: t(until),
                    time_wait_until: [Some(t(until)), None],
                    isn: None,
                    counted: [true, false],
                    orig_is_lo: true,
                },
            );
        }
        assert_eq!(
            ts.pop_due(t(60)).map(|x| x.id()),
            Some(1),
            "the early one, at its time"
        );
        assert!(ts.pop_due(t(60)).is_none());
        assert_eq!(ts.pop_due(t(61)).map(|x| x.id()), Some(0));
        assert!(
            ts.pop_due(t(61)).is_none(),
            "the early one is not met again in the ring"
        );
        assert_eq!(ts.pop_due(t(62)).map(|x| x.id()), Some(2));
        assert_eq!(ts.len(), 0);
    }

    #[test]
    fn keys_pack_and_unpack() {
        let k4 = key("10.0.0.1", 40000, "10.0.0.2", 80);
        assert!(Key4::pack(&k4).unwrap().unpack() == k4);
        let k6 = key("fd00::1", 40000, "fd00::2", 443);
        assert!(Key4::pack(&k6).is_none());
        assert!(Key6::pack(&k6).unwrap().unpack() == k6);
        assert_eq!(std::mem::size_of::<Tomb<Key4>>(), 40);
        assert_eq!(std::mem::size_of::<Tomb<Key6>>(), 64);
    }

    #[test]
    fn tombstones_expire_in_order_and_restarts_move_back() {
        let t = |s: i64| Timestamp::from_parts(s, 0);
        let mut ts = Tombstones::<Key4>::default();
        let keys: Vec<Hashed> = (0..3)
            .map(|i| Hashed::new(key("10.0.0.1", 40000 + i, "10.0.0.2", 80)))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            let packed = Key4::pack(&k.key).unwrap();
            ts.add(
                k,
                packed,
                Remains {
                    id: i as u64,
                    until: t(60 + i as i64),
                    time_wait_until: [Some(t(60 + i as i64)), None],
                    isn: None,
                    counted: [true, false],
                    orig_is_lo: true,
                },
            );
        }
        let p0 = Key4::pack(&keys[0].key).unwrap();
        // A retransmitted FIN restarts the first one's TIME-WAIT.
        let first = ts.get_mut(&keys[0], p0).unwrap();
        first.restart_time_wait(0, t(40), std::time::Duration::from_secs(60));
        assert!(ts.pop_due(t(59)).is_none());
        // At 61 the first is not due (moved back), the second is.
        let got = ts.pop_due(t(61)).unwrap();
        assert_eq!(got.id(), 1);
        assert!(
            ts.get_mut(&keys[0], p0).is_some(),
            "still indexed after the move"
        );
        assert!(ts.pop_due(t(61)).is_none());
        // The third is taken by a new connection: gone, skipped at expiry.
        let p2 = Key4::pack(&keys[2].key).unwrap();
        assert_eq!(ts.take(&keys[2], p2).unwrap().id(), 2);
        assert!(ts.get_mut(&keys[2], p2).is_none());
        assert_eq!(ts.pop_due(t(100)).unwrap().id(), 0);
        assert_eq!(ts.len(), 0);
        assert!(ts.seq_of(&keys[0], p0).is_none());
    }
}
