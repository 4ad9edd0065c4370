use super::*;
use crate::decode::{Endpoint, TcpSegment};
use crate::tcp::TcpConfig;

fn conn(id: u64, client_port: u16) -> (Box<Flow>, FlowKey) {
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
    let c = Box::new(Flow::new(&seg, src, dst, TcpConfig::default()));
    // Looked up by either direction.
    (c, FlowKey::new(dst, src))
}

/// Two keys with one hash: the exact lookups tell them apart by the 4-tuple; only the
/// prefetching lookup may take one for the other.
#[test]
fn keys_sharing_a_hash_stay_apart() {
    let mut t = ConnTable::new(TcpConfig::default());
    let (a, ka) = conn(1, 1000);
    let (b, kb) = conn(2, 2000);
    let ka = Hashed { key: ka, hash: 7 };
    let kb = Hashed { key: kb, hash: 7 };
    t.insert_new(&ka, a);
    t.insert_new(&kb, b);
    assert_eq!(t.len(), 2);
    assert_eq!(t.get_mut(&ka).unwrap().id, 1);
    assert_eq!(t.get_mut(&kb).unwrap().id, 2);
    assert!(t.addr_by_hash(7).is_some());
    assert_eq!(t.remove(&ka).unwrap().id, 1);
    assert!(t.get_mut(&ka).is_none());
    assert_eq!(t.get_mut(&kb).unwrap().id, 2);
    assert_eq!(t.drain().map(|e| e.id()).collect::<Vec<_>>(), vec![2]);
    assert_eq!(t.len(), 0);
}

#[test]
fn a_key_is_found_by_its_own_hash_only() {
    let mut t = ConnTable::new(TcpConfig::default());
    let (a, ka) = conn(1, 1000);
    let ka = Hashed::new(ka);
    t.insert_new(&ka, a);
    let (_, other) = conn(3, 3000);
    assert!(t.get_mut(&Hashed::new(other)).is_none());
    assert!(t.remove(&Hashed::new(other)).is_none());
    assert!(t.addr_by_hash(ka.hash).is_some());
}

#[test]
fn thin_bytes_hold_up_to_255() {
    for n in [0usize, 1, 200, 255] {
        let bytes: Vec<u8> = (0..n).map(|i| i as u8 ^ 0x5a).collect();
        let thin = ThinBytes::new(&[&bytes[..n / 2], &bytes[n / 2..]]).unwrap();
        assert_eq!(&*thin, &bytes[..]);
    }
    assert!(ThinBytes::new(&[&[0u8; 256]]).is_none());
}
