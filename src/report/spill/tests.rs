use super::*;

#[test]
fn keeps_order_across_memory_and_file() {
    let mut s = Spill::default();
    assert!(s.is_empty());
    let chunk = vec![b'x'; 1 << 20];
    for i in 0..10u8 {
        s.write_all(&[i]).unwrap();
        s.write_all(&chunk).unwrap();
    }
    assert!(s.file.is_some(), "spilled past the memory limit");
    let mut out = Vec::new();
    s.drain_to(&mut out, 0).unwrap();
    assert_eq!(out.len(), 10 * (1 + chunk.len()));
    for i in 0..10usize {
        assert_eq!(out[i * (1 + chunk.len())], i as u8);
    }
    assert!(s.is_empty());
    s.write_all(b",a,b").unwrap();
    let mut out = Vec::new();
    s.drain_to(&mut out, 1).unwrap();
    assert_eq!(out, b"a,b");
}

#[test]
fn groups_keep_their_own_order() {
    let mut g = Grouped::default();
    for i in 0..20_000 {
        let code = if i % 3 == 0 { "A" } else { "B" };
        writeln!(g.group(code), "{code}{i}").unwrap();
    }
    let mut a = Vec::new();
    g.drain_to("A", &mut a, 0).unwrap();
    let a = String::from_utf8(a).unwrap();
    assert_eq!(a.lines().count(), 6667);
    assert!(a.starts_with("A0\nA3\n"));
    let mut none = Vec::new();
    g.drain_to("A", &mut none, 0).unwrap();
    assert!(none.is_empty(), "drained once");
}
