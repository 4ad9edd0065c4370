use super::*;

#[test]
fn peaks_follow_time_not_arrival_order() {
    let h: IpAddr = "10.0.0.1".parse().unwrap();
    let t = |s| Timestamp::from_parts(s, 0);
    let mut book = TimeWaitBook::default();
    // Out of order in the batch: replayed by time, exits before entries at the same time.
    let mut batch = vec![
        TimeWaitEvent::enter(t(5), h, 3),
        TimeWaitEvent::enter(t(1), h, 1),
        TimeWaitEvent::exit(t(5), h, 1),
        TimeWaitEvent::enter(t(2), h, 2),
    ];
    book.apply(&mut batch);
    let v = book.holders();
    assert_eq!(v[0].1.peak, 2);
    assert_eq!(v[0].1.peak_ts, Some(t(2)));
    assert_eq!(v[0].1.current, 2);
}
