//! `conn_state()` of base/protocols/conn/main.zeek, and the codes it returns.

use super::endpoint::Endp;
use super::ZState;

/// Zeek's `conn_state` (base/protocols/conn/main.zeek), in the order reports list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConnState {
    Sf,
    S0,
    S1,
    Rej,
    S2,
    S3,
    Rsto,
    Rstr,
    Rstos0,
    Rstrh,
    Sh,
    Shr,
    Oth,
}

impl ConnState {
    pub const ALL: [ConnState; 13] = [
        ConnState::Sf,
        ConnState::S0,
        ConnState::S1,
        ConnState::Rej,
        ConnState::S2,
        ConnState::S3,
        ConnState::Rsto,
        ConnState::Rstr,
        ConnState::Rstos0,
        ConnState::Rstrh,
        ConnState::Sh,
        ConnState::Shr,
        ConnState::Oth,
    ];

    /// As Zeek writes it: `SF`, `S0`, `RSTOS0`...
    pub fn name(self) -> &'static str {
        match self {
            ConnState::Sf => "SF",
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::Rej => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::Rsto => "RSTO",
            ConnState::Rstr => "RSTR",
            ConnState::Rstos0 => "RSTOS0",
            ConnState::Rstrh => "RSTRH",
            ConnState::Sh => "SH",
            ConnState::Shr => "SHR",
            ConnState::Oth => "OTH",
        }
    }

    /// A conn_state code, in any case.
    pub fn parse(s: &str) -> Option<ConnState> {
        ConnState::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
    }

    /// The connection was established and closed normally, or is still open: not trouble.
    pub fn is_clean(self) -> bool {
        matches!(self, ConnState::Sf | ConnState::S1)
    }
}

impl std::fmt::Display for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl PartialEq<&str> for ConnState {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// `conn_state()` of base/protocols/conn/main.zeek.
pub(super) fn conn_state(o: &Endp, r: &Endp, o_size: u64, r_size: u64, history: &str) -> ConnState {
    use ZState::*;
    let (os, rs) = (o.state, r.state);
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if matches!(os, SynSent | SynAckSent) || (os == Reset && o_size == 0 && r_size == 0) {
            ConnState::Rej
        } else if o_inactive {
            ConnState::Rstrh
        } else {
            ConnState::Rstr
        }
    } else if os == Reset {
        if r_inactive {
            if rstos0_history(history) {
                ConnState::Rstos0
            } else {
                ConnState::Oth
            }
        } else {
            ConnState::Rsto
        }
    } else if rs == Closed && os == Closed {
        ConnState::Sf
    } else if os == Closed {
        if r_inactive {
            ConnState::Sh
        } else {
            ConnState::S2
        }
    } else if rs == Closed {
        if o_inactive {
            ConnState::Shr
        } else {
            ConnState::S3
        }
    } else if os == SynSent && rs == Inactive {
        ConnState::S0
    } else if os == Established && rs == Established {
        ConnState::S1
    } else {
        ConnState::Oth
    }
}

/// `/\^?S[^HAFGIQ]*R.*/ == history`: an anchored match.
pub(super) fn rstos0_history(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        match c {
            'R' => return true,
            'H' | 'A' | 'F' | 'G' | 'I' | 'Q' => return false,
            _ => {}
        }
    }
    false
}
