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
mod tests {
    use super::*;
    use crate::decode::{Endpoint, TcpSegment};
    use crate::tcp::TcpConfig;

    fn conn(id: u64, client_port: u16) -> (Box<Connection>, FlowKey) {
        let src = Endpoint {
            addr: "10.0.0.1".parse().unwrap(),
            port: client_port,
        };
        let dst = Endpoint {
            addr: "10.0.0.2".parse().unwrap(),
            port: 80,
        };
        let seg = TcpSegment {
            frame: id,
            ..TcpSegment::test(src, dst, 0x02, 0)
        };
        let c = Box::new(Connection::new(&seg, src, dst, TcpConfig::default()));
        // Looked up by either direction.
        (c, FlowKey::new(dst, src))
    }

    /// Two keys with one hash: the exact lookups tell them apart by the 4-tuple; only the
    /// prefetching lookup may take one for the other.
    #[test]
    fn keys_sharing_a_hash_stay_apart() {
        let mut t = ConnTable::default();
        let (a, ka) = conn(1, 1000);
        let (b, kb) = conn(2, 2000);
        let ka = Hashed { key: ka, hash: 7 };
        let kb = Hashed { key: kb, hash: 7 };
        t.insert_new(&ka, a);
        t.insert_new(&kb, b);
        assert_eq!(t.len(), 2);
        assert_eq!(t.get_mut(&ka).unwrap().id, 1);
        assert_eq!(t.get_mut(&kb).unwrap().id, 2);
        assert!(t.by_hash(7).is_some());
        assert_eq!(t.remove(&ka).unwrap().id, 1);
        assert!(t.get_mut(&ka).is_none());
        assert_eq!(t.get_mut(&kb).unwrap().id, 2);
        assert_eq!(t.drain().map(|c| c.id).collect::<Vec<_>>(), vec![2]);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_key_is_found_by_its_own_hash_only() {
        let mut t = ConnTable::default();
        let (a, ka) = conn(1, 1000);
        let ka = Hashed::new(ka);
        t.insert_new(&ka, a);
        let (_, other) = conn(3, 3000);
        assert!(t.get_mut(&Hashed::new(other)).is_none());
        assert!(t.remove(&Hashed::new(other)).is_none());
        assert_eq!(t.by_hash(ka.hash).unwrap().id, 1);
    }
}
