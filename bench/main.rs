//! `synack-bench`: generate large captures and time synack against the parse floor, side by side
//! in one run. Not a test: a command anyone can run (see README.md, "Benchmark").
//!
//! ```text
//! synack-bench gen --size 300M --out bench/out/300M.pcap [--format pcapng] [--seed 1] [--live 2000]
//! synack-bench run bench/out/300M.pcap [--repeat 3]
//! ```

mod gen;
mod measure;

use clap::{Parser, Subcommand, ValueEnum};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "synack-bench",
    about = "Generate large captures and time synack against the parse floor"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a deterministic capture of many interleaved connections
    Gen {
        /// Approximate size: 10M, 300M, 1G, 5G (bytes, K, M, G)
        #[arg(long, value_parser = parse_size)]
        size: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = Fmt::Pcap)]
        format: Fmt,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Connections open at once
        #[arg(long, default_value_t = 2000)]
        live: usize,
        /// New connections per second of capture time
        #[arg(long, default_value_t = 170.0)]
        rate: f64,
    },
    /// Time the parse floor and synack's read+decode path on a capture
    Run {
        capture: PathBuf,
        /// Runs of each variant (interleaved); the median is reported
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Fmt {
    Pcap,
    Pcapng,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 1 << 20),
        Some('G' | 'g') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .map(|n| n * mult)
        .map_err(|e| format!("{s}: {e}"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    match Cli::parse().cmd {
        Cmd::Gen {
            size,
            out,
            format,
            seed,
            live,
            rate,
        } => {
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).expect("create output directory");
            }
            let file =
                BufWriter::with_capacity(1 << 20, File::create(&out).expect("create output"));
            let cfg = gen::GenConfig {
                bytes: size,
                format: match format {
                    Fmt::Pcap => gen::OutFormat::Pcap,
                    Fmt::Pcapng => gen::OutFormat::PcapNg,
                },
                seed,
                live,
                rate,
            };
            let st = gen::generate(&cfg, file).expect("write capture");
            println!(
                "{}: {} bytes, {} packets, {} connections",
                out.display(),
                st.bytes,
                st.packets,
                st.connections
            );
        }
        Cmd::Run { capture, repeat } => {
            let size = std::fs::metadata(&capture).expect("capture").len();
            // Warm the page cache so every variant reads from memory.
            let _ = measure::floor(&capture);
            let (mut floor, mut ours) = (Vec::new(), Vec::new());
            let mut packets = 0;
            for _ in 0..repeat.max(1) {
                let f = measure::floor(&capture);
                let o = measure::read_and_decode(&capture);
                assert_eq!(f.packets, o.packets, "both loops must see every packet");
                packets = f.packets;
                floor.push(f.elapsed);
                ours.push(o.elapsed);
            }
            let (f, o) = (median(floor), median(ours));
            let mb = size as f64 / 1e6;
            println!(
                "capture: {} ({:.0} MB, {} packets), median of {} runs",
                capture.display(),
                mb,
                packets,
                repeat.max(1)
            );
            println!(
                "{:<34} {:>9} {:>12} {:>9} {:>8}",
                "variant", "wall s", "packets/s", "MB/s", "× floor"
            );
            for (name, d) in [
                ("floor (pcap-parser + etherparse)", f),
                ("synack read+decode", o),
            ] {
                let s = d.as_secs_f64();
                println!(
                    "{:<34} {:>9.3} {:>12.0} {:>9.0} {:>8.2}",
                    name,
                    s,
                    packets as f64 / s,
                    mb / s,
                    s / f.as_secs_f64()
                );
            }
        }
    }
}
