//! TCP as RFC 9293 describes it: sequence-number arithmetic, the eleven states and their
//! transitions, and a connection's two sides driven by the segments of a capture.

mod conn;
mod state;

/// Sequence numbers live with the decoder, the lowest layer that reads them.
pub use crate::decode::SeqNum;
pub use conn::{
    Attempt, Challenged, Connection, DataTrouble, Dir, Handshake, IcmpAnswer, Opening, Overflow,
    RstInfo, RstKind, RtxRun, Side, TcpConfig, Transition, ZeroWindow, MAX_INTERVALS,
};
pub use state::{next, Event, State};
