//! What a connection keeps of its RSTs and of the ICMP errors that answered it: RFC 9293
//! §3.10.7 and RFC 5961 §3.2 judge a RST by where its sequence number falls.

use super::{Dir, State};
use crate::decode::Unreachable;
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RstKind {
    /// The RST answers a SYN: nothing listens on that port.
    Refused,
    /// An acceptable RST on a connection that was open or closing.
    Abort,
    /// The sender had already closed.
    AfterClose,
    /// In the receiver's window but not at its RCV.NXT: RFC 5961 §3.2 stacks answer with a
    /// challenge ACK and keep the connection.
    Challenged,
    /// Not a RST: an ICMP destination-unreachable answered the SYN.
    Icmp,
    /// Outside the receiver's window: RFC 5961 stacks ignore it (stale state or forgery).
    OutOfWindow,
}

impl RstKind {
    pub fn name(self) -> &'static str {
        match self {
            RstKind::Refused => "refused",
            RstKind::Abort => "abort",
            RstKind::AfterClose => "after-close",
            RstKind::Challenged => "challenged",
            RstKind::Icmp => "icmp",
            RstKind::OutOfWindow => "out-of-window",
        }
    }
}

/// An ICMP destination-unreachable that quoted the originator's SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpAnswer {
    pub frame: u64,
    pub ts: Timestamp,
    pub error: Unreachable,
}

/// RSTs that drew (or should have drawn) a challenge ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenged {
    /// How many.
    pub count: u32,
    /// The first of them.
    pub first: RstInfo,
    /// The receiver's challenge ACK answering one, when the capture shows it.
    pub ack_frame: Option<u64>,
}

/// The first RST of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RstInfo {
    pub by: Dir,
    pub frame: u64,
    pub ts: Timestamp,
    /// The sender's state when it sent the RST.
    pub state: State,
    pub kind: RstKind,
}

/// Where a RST's sequence number falls in its receiver's window (RFC 5961 §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RstPlace {
    Exact,
    InWindow,
    OutOfWindow,
}
