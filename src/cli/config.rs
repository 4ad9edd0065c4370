//! The checked form of the arguments: durations, filters and formats as types, no strings left
//! to interpret later.

use super::{ReportArgs, ReportFormat};
use crate::report::summary::CONN_STATES;
use crate::report::ConnReport;
use crate::tcp::{State, TcpConfig};
use anyhow::{bail, Context};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `500ms`, `3s`, `2m`, `1h` (and humantime's other spellings).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration ({e}); write 500ms, 3s or 2m"))
}

/// Which connections the report shows: every kind given must match (a kind given several
/// times matches any of its values).
#[derive(Clone, Debug, Default)]
pub struct ConnFilter {
    pub hosts: Vec<IpAddr>,
    pub ports: Vec<u16>,
    pub states: Vec<State>,
    pub conn_states: Vec<&'static str>,
}

impl ConnFilter {
    pub fn matches(&self, c: &ConnReport) -> bool {
        let host_ok = self.hosts.is_empty()
            || self
                .hosts
                .iter()
                .any(|h| *h == c.orig_ep.addr || *h == c.resp_ep.addr);
        let port_ok = self.ports.is_empty()
            || self
                .ports
                .iter()
                .any(|p| *p == c.orig_ep.port || *p == c.resp_ep.port);
        let state_ok = (self.states.is_empty() && self.conn_states.is_empty())
            || self
                .states
                .iter()
                .any(|s| *s == c.orig_state || *s == c.resp_state)
            || self.conn_states.contains(&c.conn_state);
        host_ok && port_ok && state_ok
    }
}

#[derive(Clone, Debug)]
pub struct ReportConfig {
    pub captures: Vec<PathBuf>,
    pub format: ReportFormat,
    pub all: bool,
    pub limit: usize,
    pub filter: ConnFilter,
    pub tcp: TcpConfig,
}

impl TryFrom<ReportArgs> for ReportConfig {
    type Error = anyhow::Error;

    fn try_from(a: ReportArgs) -> anyhow::Result<Self> {
        let mut filter = ConnFilter {
            ports: a.port,
            ..ConnFilter::default()
        };
        for h in &a.host {
            let addr: IpAddr = h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .with_context(|| format!("--host {h:?} is not an IPv4 or IPv6 address"))?;
            filter.hosts.push(addr);
        }
        for s in &a.state {
            if let Some(cs) = CONN_STATES.iter().find(|c| c.eq_ignore_ascii_case(s)) {
                filter.conn_states.push(cs);
            } else if let Ok(st) = s.parse::<State>() {
                filter.states.push(st);
            } else {
                let rfc: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
                bail!(
                    "--state {s:?} is neither an RFC 9293 state ({}) nor a Zeek conn_state ({})",
                    rfc.join(" "),
                    CONN_STATES.join(" ")
                );
            }
        }
        if a.time_wait.is_zero() {
            bail!("--time-wait must be longer than 0");
        }
        Ok(ReportConfig {
            captures: a.captures,
            format: a.format,
            all: a.all,
            limit: a.limit,
            filter,
            tcp: TcpConfig {
                time_wait: a.time_wait,
                transitions: a.transitions,
            },
        })
    }
}
