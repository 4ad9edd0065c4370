//! The live connection table, laid out for a capture's access pattern: every segment looks up
//! its connection, and with hundreds of thousands of connections neither the table nor the
//! connections stay in the cache.
//!
//! A slot is the key's hash and the boxed connection: 16 bytes, so the table itself stays small
//! enough for the cache, and a lookup a few segments ahead can find a connection's address
//! from the hash alone, without touching the connection, to fetch it into the cache before it
//! is needed. The exact lookup then compares the 4-tuple on the connection, by then in cache.

use super::FlowKey;
use crate::tcp::Connection;
use hashbrown::HashTable;
use std::hash::BuildHasher;

struct Slot {
    hash: u64,
    /// Boxed: the table moves small slots when it grows, and a connection that ends goes to the
    /// sink in the box it lived in.
    conn: Box<Connection>,
}

/// Live connections by their direction-free 4-tuple.
#[derive(Default)]
pub(super) struct ConnTable {
    slots: HashTable<Slot>,
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

fn is(k: &Hashed) -> impl Fn(&Slot) -> bool + '_ {
    move |s| s.hash == k.hash && FlowKey::of(&s.conn) == k.key
}

impl ConnTable {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn get_mut(&mut self, k: &Hashed) -> Option<&mut Box<Connection>> {
        self.slots.find_mut(k.hash, is(k)).map(|s| &mut s.conn)
    }

    pub fn remove(&mut self, k: &Hashed) -> Option<Box<Connection>> {
        let entry = self.slots.find_entry(k.hash, is(k)).ok()?;
        Some(entry.remove().0.conn)
    }

    /// Adds a connection whose key is not in the table.
    pub fn insert_new(&mut self, k: &Hashed, conn: Box<Connection>) {
        debug_assert!(self.slots.find(k.hash, is(k)).is_none());
        self.slots
            .insert_unique(k.hash, Slot { hash: k.hash, conn }, |s| s.hash);
    }

    /// The connection whose key has hash `hash` (another one if two keys share a hash: then it
    /// only fetches the wrong one), found without reading any connection.
    pub fn by_hash(&self, hash: u64) -> Option<&Connection> {
        self.slots.find(hash, |s| s.hash == hash).map(|s| &*s.conn)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Connection> {
        self.slots.iter().map(|s| &*s.conn)
    }

    pub fn drain(&mut self) -> impl Iterator<Item = Box<Connection>> + '_ {
        self.slots.drain().map(|s| s.conn)
    }
}

#[cfg(test)]
mod tests;
