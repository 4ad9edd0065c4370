//! synack: reads packet captures, follows each side of every TCP connection through the RFC 9293
//! state diagram, and reports what went wrong.
//!
//! The pipeline runs one way, one module per stage:
//! `capture` (frames) → `decode` (TCP segments) → analysis → `report`.

pub mod analyze;
pub mod capture;
pub mod cli;
pub mod decode;
pub mod findings;
pub mod flow;
pub mod pipeline;
pub mod report;
pub mod series;
pub mod tcp;
pub mod time;
pub mod vocabulary;
pub mod zeek;
