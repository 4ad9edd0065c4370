//! TCP as RFC 9293 describes it: sequence-number arithmetic, the eleven states and their
//! transitions, and a connection's two sides driven by the segments of a capture.

mod conn;
mod seq;
mod state;

pub use conn::{
    Attempt, Challenged, Connection, DataTrouble, Dir, Handshake, IcmpAnswer, Opening, Overflow,
    RstInfo, RstKind, RtxRun, Side, TcpConfig, Transition, ZeroWindow, MAX_INTERVALS,
};
pub use seq::SeqNum;
pub use state::{next, Event, State};
