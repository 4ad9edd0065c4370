//! TCP as RFC 9293 describes it: sequence-number arithmetic (and, with connection tracking, the
//! eleven states and their transitions).

mod seq;

pub use seq::SeqNum;
