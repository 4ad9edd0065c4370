//! One connection followed segment by segment (`synack show`): the capture is read once, and
//! only the segments of the connection's 4-tuple go to the tracker, with the same clock and the
//! same batch ends as a full run. A tracker's work depends only on its own segments, the clock
//! and the batch ends (that is what lets `--jobs` split the work), so the connection comes out
//! exactly as `synack report` has it. Picked by id (its first frame), the 4-tuple is only known
//! at that frame: until then every segment is tracked, then the others are no longer fed.
//! `--max-connections` does not apply: nothing is retired.

use super::*;
use crate::decode::{Decoded, Endpoint, NotTcp, TcpSegment};
use crate::flow::{ConnSink, Ended, FlowKey};
use crate::tcp::{Dir, State};
use crate::time::Timestamp;

/// Which connection.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// By id: the frame number of its first segment, as reports give it.
    Id(u64),
    /// By 4-tuple (either order): the first connection on it.
    Tuple(Endpoint, Endpoint),
}

/// What a segment was besides its flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    pub retransmission: bool,
    pub syn_retransmission: bool,
    pub fin_retransmission: bool,
    pub duplicate: bool,
    pub keepalive: bool,
    pub zero_window_probe: bool,
    pub out_of_window_rst: bool,
}

/// One segment of the connection, and both sides' states after it.
#[derive(Clone, Debug)]
pub struct Step {
    pub seg: TcpSegment,
    /// Who sent it.
    pub dir: Dir,
    /// (state, inferred) of the originator and the responder after it.
    pub after: [(State, bool); 2],
    pub marks: Marks,
}

/// The connection followed.
#[derive(Debug)]
pub struct Followed {
    /// As it ended (what `synack report` shows).
    pub flow: Flow,
    pub steps: Vec<Step>,
    /// Other connections on the same 4-tuple, by id (port reuse), when picked by 4-tuple.
    pub others: Vec<u64>,
}

/// Counters whose change tells what a segment was.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Counters {
    retransmits: [u32; 2],
    fin_retransmits: [u32; 2],
    keepalives: [u32; 2],
    zero_window_probes: [u32; 2],
    duplicates: [u32; 2],
    syn: [u32; 2],
    out_of_window_rst: u32,
}

impl Counters {
    fn of(f: &Flow) -> Self {
        let side = |d: Dir| f.side(d);
        let both = |g: &dyn Fn(&crate::tcp::Side) -> u32| [g(side(Dir::Orig)), g(side(Dir::Resp))];
        Counters {
            retransmits: both(&|s| s.retransmits),
            fin_retransmits: both(&|s| s.fin_retransmits),
            keepalives: both(&|s| s.keepalives),
            zero_window_probes: both(&|s| s.zero_window_probes),
            duplicates: both(&|s| s.duplicates),
            syn: both(&|s| s.syn.retransmits() + s.synack.retransmits()),
            out_of_window_rst: f.rst_out_of_window,
        }
    }

    fn marks(before: Counters, after: Counters, d: usize) -> Marks {
        Marks {
            retransmission: after.retransmits[d] > before.retransmits[d],
            syn_retransmission: after.syn[d] > before.syn[d],
            fin_retransmission: after.fin_retransmits[d] > before.fin_retransmits[d],
            duplicate: after.duplicates[d] > before.duplicates[d],
            keepalive: after.keepalives[d] > before.keepalives[d],
            zero_window_probe: after.zero_window_probes[d] > before.zero_window_probes[d],
            out_of_window_rst: after.out_of_window_rst > before.out_of_window_rst,
        }
    }
}

/// Keeps the target when it ends; drops the rest.
struct Keep {
    id: Option<u64>,
    got: Option<Flow>,
}

impl ConnSink for Keep {
    fn ended(&mut self, conn: Ended, cfg: &TcpConfig) {
        if Some(conn.id()) == self.id {
            self.got = Some(*conn.into_connection(cfg));
        }
    }
}

/// The connection a segment log holds (kept while it was tracked: `TcpConfig::ladder_segments`)
/// replayed step by step with `cfg`: the same states and marks as [`follow`] gives for the
/// segments the log holds.
pub fn replay(log: &crate::decode::SegmentLog, cfg: TcpConfig) -> Option<Followed> {
    let cfg = TcpConfig {
        ladder_segments: 0,
        compact_after: None,
        ..cfg
    };
    let mut flow: Option<Flow> = None;
    let mut steps = Vec::new();
    crate::decode::SegmentLog::replay(log.as_bytes(), |seg, now| {
        let before = flow.as_ref().map(Counters::of).unwrap_or_default();
        let f = flow.get_or_insert_with(|| Flow::new_from(seg, cfg));
        f.clock = now;
        f.on_segment(seg);
        let dir = f.dir_of(seg);
        let side = |d: Dir| (f.side(d).state, f.side(d).inferred);
        steps.push(Step {
            seg: *seg,
            dir,
            after: [side(Dir::Orig), side(Dir::Resp)],
            marks: Counters::marks(before, Counters::of(f), dir.idx()),
        });
    });
    Some(Followed {
        flow: flow?,
        steps,
        others: Vec::new(),
    })
}

/// Reads `reader` (named `name`) once and follows `target` through it. None when no such
/// connection is in the capture (with the result of reading, for its errors).
pub fn follow(
    name: String,
    reader: CaptureReader,
    opts: &Options,
    target: Target,
) -> (CaptureResult, Option<Followed>) {
    let tcp = TcpConfig {
        compact_after: None,
        ..opts.tcp
    };
    // Picked by id, the connections before it are tracked only for what they may do to its
    // 4-tuple: without Zeek's model, which the target gets from its first frame on.
    let by_id = matches!(target, Target::Id(_));
    let mut tracker = Tracker::new(TcpConfig {
        zeek: tcp.zeek && !by_id,
        ..tcp
    });
    let mut source = Source::new(vec![(name, reader)]);
    let mut key = match target {
        Target::Tuple(a, b) => Some(FlowKey::new(a, b)),
        Target::Id(_) => None,
    };
    let mut sink = Keep {
        id: match target {
            Target::Id(id) => Some(id),
            Target::Tuple(..) => None,
        },
        got: None,
    };
    let mut steps = Vec::new();
    let mut others = Vec::new();
    let mut clock: Option<Timestamp> = None;
    let mut frames = 0usize;
    while let Some(ts) = source.next() {
        let now = clock.map_or(ts, |c| c.max(ts));
        clock = Some(now);
        if let Decoded::Tcp(seg) | Decoded::NotTcp(NotTcp::IcmpQuote(seg)) = source.cur {
            let k = FlowKey::new(seg.src, seg.dst);
            if key.is_none() && sink.id == Some(seg.frame) {
                key = Some(k);
                tracker.set_zeek(tcp.zeek);
            }
            if key.is_none_or(|key| key == k) {
                // The counters before it, only for the connection's own segments (not for every
                // segment of the frames before its id).
                let ours = key == Some(k);
                let before = if ours {
                    tracker.peek(&k).map(|f| (f.id, Counters::of(f)))
                } else {
                    None
                };
                tracker.segment(&seg, now, &mut sink);
                if ours {
                    if let Some(f) = tracker.peek(&k) {
                        let id = *sink.id.get_or_insert(f.id);
                        if f.id == id {
                            let was = before
                                .filter(|(b, _)| *b == id)
                                .map_or_else(Counters::default, |(_, c)| c);
                            let dir = f.dir_of(&seg);
                            let side = |d: Dir| (f.side(d).state, f.side(d).inferred);
                            steps.push(Step {
                                seg,
                                dir,
                                after: [side(Dir::Orig), side(Dir::Resp)],
                                marks: Counters::marks(was, Counters::of(f), dir.idx()),
                            });
                        } else if !others.contains(&f.id) {
                            others.push(f.id);
                        }
                    }
                }
            }
        }
        frames += 1;
        if frames % BATCH == 0 {
            tracker.end_batch(now, &mut sink);
        }
    }
    if let Some(now) = clock {
        tracker.finish_all(now, &mut sink);
    }
    let mut parts = source.finish();
    let capture = if parts.len() == 1 {
        parts.remove(0)
    } else {
        CaptureSummary::merged(&parts)
    };
    let result = CaptureResult {
        capture,
        parts: Vec::new(),
        time_wait: Vec::new(),
        time_wait_series: Vec::new(),
        end: clock,
        connections: tracker.started(),
        retired: 0,
        max_connections: opts.max_connections,
        peak_live: tracker.peak_live(),
        late_segments: tracker.late_segments(),
    };
    let followed = sink.got.map(|flow| Followed {
        flow,
        steps,
        others,
    });
    (result, followed)
}
