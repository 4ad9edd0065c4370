//! `synack show`: one connection followed through its capture (`analyze::follow`), judged by
//! the same rules as `report`, drawn as a ladder (`report::show`).

use super::ExitStatus;
use crate::analyze::{follow, Options, Target};
use crate::capture::CaptureReader;
use crate::decode::Endpoint;
use crate::findings::{Checker, RuleConfig};
use crate::report::show::{svg, text, Ladder};
use crate::tcp::TcpConfig;
use anyhow::{bail, Context};
use std::io::Write;
use std::path::PathBuf;

/// How `show` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    /// The ladder in the terminal, 80 columns
    Text,
    /// A standalone SVG
    Svg,
    /// The ladder's rows as JSON
    Json,
}

/// What `show` is asked to do.
#[derive(Clone, Debug)]
pub struct ShowConfig {
    pub capture: PathBuf,
    pub target: Target,
    pub format: ShowFormat,
    pub tcp: TcpConfig,
    pub rules: RuleConfig,
    pub color: bool,
}

/// `--conn`: an id (digits), or a 4-tuple `ADDR:PORT-ADDR:PORT` (also `,` or a space between
/// them; `[v6]:port` for IPv6).
pub fn parse_target(s: &str) -> anyhow::Result<Target> {
    let s = s.trim();
    if let Ok(id) = s.parse::<u64>() {
        return Ok(Target::Id(id));
    }
    let parts: Vec<&str> = s.split(['-', ',', ' ']).filter(|p| !p.is_empty()).collect();
    let [a, b] = parts[..] else {
        bail!(
            "--conn {s:?}: give a connection id (the frame number `synack report` shows as its id) or a 4-tuple ADDR:PORT-ADDR:PORT"
        );
    };
    let ep = |p: &str| -> anyhow::Result<Endpoint> {
        let sa: std::net::SocketAddr = p
            .parse()
            .with_context(|| format!("--conn: {p:?} is not ADDR:PORT ([ADDR]:PORT for IPv6)"))?;
        Ok(Endpoint {
            addr: sa.ip(),
            port: sa.port(),
        })
    };
    Ok(Target::Tuple(ep(a)?, ep(b)?))
}

/// Runs `show`: 0 when the connection was drawn; an error (exit 2) when the capture cannot be
/// read or holds no such connection.
pub fn run_show(cfg: &ShowConfig) -> anyhow::Result<ExitStatus> {
    let name = cfg.capture.display().to_string();
    let reader = CaptureReader::open(&cfg.capture).map_err(|e| {
        anyhow::anyhow!(
            "{name}: {e}; give a pcap or pcapng capture (gzip or not), or - for standard input"
        )
    })?;
    let opts = Options {
        tcp: cfg.tcp,
        jobs: 1,
        ..Options::default()
    };
    let (result, followed) = follow(name.clone(), reader, &opts, cfg.target);
    if let Some(e) = &result.capture.damage {
        eprintln!("synack: warning: {name}: {e}; the connection is shown as far as it was read");
    }
    let Some(f) = followed else {
        match cfg.target {
            Target::Id(id) => bail!(
                "{name}: no connection {id}: a connection's id is the frame number of its first segment, as `synack report` lists them"
            ),
            Target::Tuple(a, b) => bail!("{name}: no connection between {a} and {b}"),
        }
    };
    let mut checker = Checker::new(cfg.rules.clone());
    checker.begin_capture(&name);
    let (findings, _) = checker.connection(&f.flow);
    let ladder = Ladder::new(&name, &f, findings);
    let out = match cfg.format {
        ShowFormat::Text => text(&ladder, cfg.color),
        ShowFormat::Svg => svg(&ladder),
        ShowFormat::Json => {
            let mut s = serde_json::to_string_pretty(&ladder)?;
            s.push('\n');
            s
        }
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(if result.capture.is_corrupt() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}
