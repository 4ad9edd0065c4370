//! The commands that need no capture: `explain` and `rules`.

mod explain;
mod rules;

pub(super) use explain::explain;
pub(super) use rules::rules;
