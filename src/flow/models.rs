//! A connection as the flow table keeps it: the RFC 9293 model of its two sides
//! ([`Connection`], `tcp`) and, beside it, Zeek's model of the same segments ([`ZeekConn`],
//! `zeek`), fed together; the run that reports no Zeek field (`lint`: no rule needs one) goes
//! without the second (`TcpConfig::zeek`), 8 bytes instead of 350. The RFC model reads
//! through: a [`Flow`] is used where a [`Connection`] is.

use crate::decode::{SegmentRecorder, TcpSegment};
use crate::tcp::{Connection, TcpConfig};
use crate::time::Timestamp;
use crate::zeek::{zeek_flips_first_packet, ZeekConn, ZeekFields};

/// Both models of one connection.
#[derive(Clone, Debug)]
pub struct Flow {
    pub conn: Connection,
    /// Zeek's model, when the run reports it: boxed.
    pub zeek: Option<Box<ZeekConn>>,
    /// Its first segments, when the run draws ladders (`TcpConfig::ladder_segments`).
    pub ladder: Option<Box<SegmentRecorder>>,
}

impl std::ops::Deref for Flow {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Flow {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Flow {
    /// A connection whose first segment is `seg`: the originator sends the first SYN, a
    /// SYN-ACK's sender is the responder, a mid-stream pickup follows Zeek's port heuristic.
    pub fn new_from(seg: &TcpSegment, cfg: TcpConfig) -> Flow {
        let f = seg.flags;
        let flip = if f.syn() && !f.ack() {
            false
        } else if f.syn() {
            true
        } else {
            zeek_flips_first_packet(seg)
        };
        let (orig, resp) = if flip {
            (seg.dst, seg.src)
        } else {
            (seg.src, seg.dst)
        };
        Flow::new(seg, orig, resp, cfg)
    }

    /// A connection between `orig` and `resp` whose first segment is `seg`.
    pub fn new(
        seg: &TcpSegment,
        orig: crate::decode::Endpoint,
        resp: crate::decode::Endpoint,
        cfg: TcpConfig,
    ) -> Flow {
        Flow {
            conn: Connection::new(seg, orig, resp, cfg),
            zeek: cfg
                .zeek
                .then(|| Box::new(ZeekConn::new(seg, usize::from(seg.src != orig)))),
            // One allocation for a short connection's segments (growing 64 bytes at a time,
            // the log was 3% of an HTML run in realloc).
            ladder: (cfg.ladder_segments > 0)
                .then(|| Box::new(SegmentRecorder::with_capacity(256))),
        }
    }

    /// Keeps `seg`, which came at clock `now`, for the ladder, up to `limit` segments.
    pub fn keep_for_ladder(&mut self, seg: &TcpSegment, now: Timestamp, limit: usize) {
        if let Some(l) = &mut self.ladder {
            if l.segments() < limit {
                l.push(seg, now);
            }
        }
    }

    /// Feeds one segment (or an ICMP error quoting one, which Zeek's model does not see) to
    /// both models.
    pub fn on_segment(&mut self, seg: &TcpSegment) {
        if seg.icmp.is_none() {
            if let Some(z) = &mut self.zeek {
                z.on_segment(seg, self.conn.dir_of(seg).idx());
            }
        }
        self.conn.on_segment(seg);
    }

    /// Zeek's conn.log fields for this connection; a run without Zeek's model
    /// (`TcpConfig::zeek` off) gets `OTH` and an empty history.
    pub fn zeek_fields(&self) -> ZeekFields {
        match &self.zeek {
            Some(z) => z.fields(),
            None => ZeekFields::unknown(),
        }
    }

    /// Zeek's size of host `h`'s sequence space (0 is synack's originator), 0 without Zeek's
    /// model.
    pub fn zeek_size_of(&self, h: usize) -> u64 {
        self.zeek.as_ref().map_or(0, |z| z.size_of(h))
    }
}
