//! Zeek's view of a TCP connection: `conn_state`, `history`, packet, byte and gap counts,
//! computed from the same segments with Zeek's own endpoint machine (INACTIVE, SYN_SENT,
//! SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET), its relative sequence numbers and its
//! history rules. docs/zeek-rules.md quotes the Zeek code each rule here comes from.
//!
//! Zeek splits and times out connections by its own rules; synack keeps its own connection
//! boundaries (a retransmitted SYN never splits a connection) and computes Zeek's fields within
//! them. Known differences are listed in docs/zeek.md.
//!
//! Laid out as Zeek splits it: `endpoint` (`TCP_Endpoint`), `reassembly` (`TCP_Reassembler`'s
//! blocks), `history`, `roles` (which side is orig), `adapter` (`TCPSessionAdapter`: the
//! connection), `conn_state` (main.zeek's `conn_state()`).
//!
//! Not emitted: `C` (synack does not verify checksums, like `zeek -C`); `x`. Gaps (`G`,
//! `missed_bytes`) are found with a small reassembly model that keeps up to [`MAX_BLOCKS`]
//! out-of-order ranges per side.

mod adapter;
mod conn_state;
mod endpoint;
mod history;
mod reassembly;
mod roles;

pub use adapter::{ZeekConn, ZeekFields};
pub use conn_state::ConnState;
pub use roles::{likely_server_port, zeek_flips_first_packet};

/// Zeek's endpoint states (`TCP_Endpoint.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZState {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;
/// Out-of-order ranges remembered per side for gap detection.
pub const MAX_BLOCKS: usize = 4;
/// `tcp_max_above_hole_without_any_acks`.
const MAX_ABOVE_HOLE_WITHOUT_ACKS: u64 = 16_384;

const HIST_SYN: u32 = 0x1;
const HIST_FIN: u32 = 0x2;
const HIST_RST: u32 = 0x4;
const HIST_FIN_RST: u32 = 0x8;
const HIST_DATA: u32 = 0x10;
const HIST_ACK: u32 = 0x20;
const HIST_MULTI_FLAG: u32 = 0x40;

/// Longest history kept; Zeek's grows without bound, real ones stay far below this.
pub const MAX_HISTORY: usize = 40;

fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

#[cfg(test)]
mod tests;
