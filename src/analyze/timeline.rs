//! The timeline: each input read and decoded in place, the inputs merged by timestamp, the
//! clock that no wild frame moves, copies recognised.

use super::*;
use crate::capture::{CaptureError, CaptureReader};
use crate::decode::{decode, DecodeStats, Decoded, NotTcp};
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One input of the timeline, with what it has shown so far.
pub(super) struct Input {
    pub(super) name: String,
    pub(super) reader: CaptureReader,
    pub(super) stats: DecodeStats,
    pub(super) first_ts: Option<Timestamp>,
    pub(super) last_ts: Option<Timestamp>,
    pub(super) damage: Option<CaptureError>,
    pub(super) done: bool,
}

/// A frame as read: its time as written, and whether that time is invalid.
pub(super) type Stamp = (Timestamp, bool);

impl Input {
    /// The next frame, decoded into `out` (in place: a frame is only moved once, into its
    /// shard's list; every by-value pass of the 120-byte `Decoded` showed in the profile).
    #[inline]
    pub(super) fn next(&mut self, out: &mut Decoded) -> Option<Stamp> {
        if self.done {
            return None;
        }
        match self.reader.next_frame() {
            Ok(Some(frame)) => {
                *out = decode(&frame);
                self.stats.count(out);
                Some((frame.ts, frame.ts_invalid))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                self.damage = Some(e);
                None
            }
        }
    }

    pub(super) fn summary(self) -> CaptureSummary {
        CaptureSummary {
            path: self.name,
            format: self.reader.format(),
            gzip: self.reader.is_gzip(),
            link_types: self.reader.link_types().to_vec(),
            stats: self.stats,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            damage: self.damage,
        }
    }
}

/// The frames of the timeline, in time order across inputs (one input: file order), each
/// with a time the clock accepts (`clock`) and copies of one packet marked (`dup`).
pub(super) struct Source {
    pub(super) inputs: Vec<Input>,
    /// Next frame of each input: (time, input) → its decoded frame.
    pub(super) heads: BinaryHeap<Reverse<(Timestamp, usize)>>,
    pub(super) pending: Vec<Option<(bool, Decoded)>>,
    /// The frame being handed out.
    pub(super) cur: Decoded,
    /// Its duplicate-table fingerprint, when it is a segment (its slot is being prefetched).
    pub(super) cur_fp: u64,
    pub(super) frames: u64,
    pub(super) progress: Option<indicatif::ProgressBar>,
    pub(super) clock: clock::Clock,
    pub(super) dups: dup::Duplicates,
    /// The frame after one far ahead of the clock, read to judge it: its input, time, frame.
    pub(super) held: Option<(usize, Stamp, Decoded)>,
}

impl Source {
    pub(super) fn new(readers: Vec<(String, CaptureReader)>) -> Source {
        let inputs: Vec<Input> = readers
            .into_iter()
            .map(|(name, reader)| Input {
                name,
                reader,
                stats: DecodeStats::default(),
                first_ts: None,
                last_ts: None,
                damage: None,
                done: false,
            })
            .collect();
        let n = inputs.len();
        let mut s = Source {
            inputs,
            heads: BinaryHeap::new(),
            pending: (0..n).map(|_| None).collect(),
            cur: Decoded::NotTcp(NotTcp::NotIp),
            cur_fp: 0,
            frames: 0,
            progress: None,
            clock: clock::Clock::default(),
            dups: dup::Duplicates::default(),
            held: None,
        };
        // One input needs no merge: its frames are read straight through.
        if n > 1 {
            for i in 0..n {
                s.refill(i);
            }
        }
        s
    }

    /// A bar on stderr (hidden when stderr is not a terminal): bytes read of the total,
    /// packets/s, time left. Only when every input's size is known.
    pub(super) fn show_progress(&mut self) {
        let sizes: Option<Vec<u64>> = self.inputs.iter().map(|i| i.reader.file_size()).collect();
        let Some(total) = sizes.map(|s| s.iter().sum::<u64>()) else {
            return;
        };
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {msg} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr_with_hz(4),
        )
        .with_style(style);
        self.progress = Some(bar);
    }

    pub(super) fn refill(&mut self, i: usize) {
        let mut d = Decoded::NotTcp(NotTcp::NotIp);
        if let Some((ts, invalid)) = self.inputs[i].next(&mut d) {
            self.pending[i] = Some((invalid, d));
            self.heads.push(Reverse((ts, i)));
        }
    }

    /// The next frame of the timeline as read, with its input, numbered over the timeline
    /// (the file's own numbering when there is one input).
    #[inline]
    pub(super) fn next_raw(&mut self) -> Option<(usize, Stamp)> {
        let (i, stamp) = if let [only] = self.inputs.as_mut_slice() {
            (0, only.next(&mut self.cur)?)
        } else {
            let Reverse((ts, i)) = self.heads.pop()?;
            let (invalid, d) = self.pending[i].take()?;
            self.cur = d;
            self.refill(i);
            (i, (ts, invalid))
        };
        self.frames += 1;
        match &mut self.cur {
            Decoded::Tcp(seg) => {
                seg.frame = self.frames;
                self.cur_fp = self.dups.prefetch(seg);
            }
            Decoded::NotTcp(NotTcp::IcmpQuote(seg)) => seg.frame = self.frames,
            _ => {}
        }
        if self.frames % 65_536 == 0 {
            if let Some(p) = &self.progress {
                p.set_position(self.inputs.iter().map(|i| i.reader.bytes_read()).sum());
                let secs = p.elapsed().as_secs_f64().max(1e-3);
                p.set_message(format!("{:.0}k packets/s", self.frames as f64 / secs / 1e3));
            }
        }
        Some((i, stamp))
    }

    /// The next frame of the timeline: the time it takes on the clock; the frame is `self.cur`.
    #[inline]
    pub(super) fn next(&mut self) -> Option<Timestamp> {
        let (i, (ts, invalid)) = match self.held.take() {
            Some((i, stamp, d)) => {
                self.cur = d;
                if let Decoded::Tcp(seg) = &self.cur {
                    self.cur_fp = self.dups.prefetch(seg);
                }
                (i, stamp)
            }
            None => self.next_raw()?,
        };
        let (t, anomaly) = match self.clock.judge(ts, invalid) {
            clock::Verdict::Fine => (ts, false),
            clock::Verdict::Anomaly(t) => (t, true),
            clock::Verdict::Behind => {
                if let Decoded::Tcp(seg) = &mut self.cur {
                    seg.behind_clock = true;
                }
                (ts, true)
            }
            clock::Verdict::Ahead => {
                // Rare: read the next frame to judge this one, and hold it.
                let (this, fp) = (self.cur, self.cur_fp);
                self.held = self.next_raw().map(|(j, stamp)| (j, stamp, self.cur));
                (self.cur, self.cur_fp) = (this, fp);
                let next = self.held.as_ref().map(|(_, stamp, _)| *stamp);
                self.clock.settle_ahead(ts, next)
            }
        };
        let input = self.inputs.get_mut(i)?;
        input.stats.clock_anomalies += u64::from(anomaly);
        input.first_ts.get_or_insert(t);
        input.last_ts = Some(t);
        match &mut self.cur {
            Decoded::Tcp(seg) => {
                seg.ts = t;
                let now = self.clock.now().unwrap_or(t);
                if !seg.behind_clock && self.dups.is_copy_fp(seg, self.cur_fp, now) {
                    seg.duplicate = true;
                    input.stats.duplicates += 1;
                }
            }
            Decoded::NotTcp(NotTcp::IcmpQuote(seg)) => seg.ts = t,
            _ => {}
        }
        Some(t)
    }

    pub(super) fn finish(self) -> Vec<CaptureSummary> {
        if let Some(p) = &self.progress {
            p.finish_and_clear();
        }
        self.inputs.into_iter().map(Input::summary).collect()
    }
}
