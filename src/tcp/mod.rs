//! TCP as RFC 9293 describes it: the eleven states and their transitions (`state`), one
//! endpoint (`side`), what a connection keeps of its RSTs (`rst`), and a connection's two sides
//! driven by the segments of a capture (`conn`).

mod conn;
mod rst;
mod side;
mod state;

/// Sequence numbers live with the decoder, the lowest layer that reads them.
pub use crate::decode::SeqNum;
pub use conn::{
    Connection, DataTrouble, Dir, Handshake, Opening, Overflow, RtxRun, TcpConfig, Transition,
    ZeroWindow,
};
pub use rst::{Challenged, IcmpAnswer, RstInfo, RstKind};
pub use side::{Attempt, Side, MAX_INTERVALS};
pub use state::{next, Event, State};
