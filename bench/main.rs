//! `synack-bench`: generate large captures and time synack against the parse floor, side by side
//! in one run. Not a test: a command anyone can run (see README.md, "Benchmark").
//!
//! ```text
//! synack-bench gen --size 300M --out bench/out/300M.pcap [--format pcapng] [--seed 1] [--live 2000]
//! synack-bench run bench/out/300M.pcap [--repeat 3] [--jobs 2] [--external-repeat 1]
//! ```

mod gen;
mod measure;
mod spawn;

use clap::{Parser, Subcommand, ValueEnum};
use spawn::{Measured, Variant};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Profile {
    Mixed,
    Busy,
    Flood,
    AfterRst,
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
        /// What the capture looks like: `mixed`, a server's mix at 170 new connections a second
        /// (2000 open at once); `busy`, the same mix at 20 000 a second, each closed within
        /// half a second (10 000 open at once), as on a busy web server; `flood`, a spoofed SYN
        /// flood: 333 000 SYNs a second from random addresses to one port, each answered by a
        /// SYN-ACK and its retransmissions (1 s, 3 s), never completed; `after-rst`, one
        /// connection reset and then sent to without end (an ACK every microsecond)
        #[arg(long, value_enum, default_value_t = Profile::Mixed)]
        profile: Profile,
        /// Connections open at once (overrides the profile's)
        #[arg(long)]
        live: Option<usize>,
        /// New connections per second of capture time (overrides the profile's)
        #[arg(long)]
        rate: Option<f64>,
    },
    /// Time the parse floor, synack and (where installed) tshark and tcptrace on a capture, side
    /// by side: each variant a process of its own, measured from outside
    Run {
        capture: PathBuf,
        /// Runs of each synack variant and of the floor (interleaved); medians are reported
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Threads for the `--jobs` variants [default: one per core]
        #[arg(long)]
        jobs: Option<usize>,
        /// Runs of tshark and tcptrace (each takes tens of seconds per GB; 0 skips them)
        #[arg(long, default_value_t = 1)]
        external_repeat: usize,
    },
    /// One stage in this process (what `run` spawns): the floor, synack's read+decode, or its
    /// tracking without a report
    Stage {
        #[arg(value_enum)]
        stage: Stage,
        capture: PathBuf,
        #[arg(long, default_value_t = 1)]
        jobs: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Stage {
    Floor,
    Decode,
    Track,
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

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

/// The variants, run interleaved `repeat` times (externals `external_repeat` times), then the
/// table of medians.
fn run(capture: &Path, repeat: usize, jobs: Option<usize>, external_repeat: usize) {
    let size = std::fs::metadata(capture).expect("capture").len();
    let exe = std::env::current_exe().expect("own path");
    let synack = exe.with_file_name(format!("synack{}", std::env::consts::EXE_SUFFIX));
    if !synack.is_file() {
        eprintln!(
            "synack-bench: {} not found: build both binaries first (cargo build --release)",
            synack.display()
        );
        std::process::exit(2);
    }
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cap = capture.to_str().expect("a UTF-8 path");
    // Counts the packets, and warms the page cache so every variant reads from memory.
    let packets = measure::floor(capture).packets;
    let j = jobs.to_string();
    let stage = |name: &str, args: &[&str]| {
        let mut a = vec!["stage"];
        a.extend_from_slice(args);
        a.push(cap);
        Variant::new(name, &exe, &a)
    };
    let mut ours = vec![
        stage("floor (pcap-parser + etherparse)", &["floor"]),
        stage("synack read+decode", &["decode"]),
        stage("synack tracking only, -j 1", &["track"]),
        Variant::new(
            "synack report --format json -j 1",
            &synack,
            &["report", "--format", "json", "--jobs", "1", cap],
        ),
    ];
    if jobs > 1 {
        ours.push(Variant::new(
            &format!("synack report --format json -j {jobs}"),
            &synack,
            &["report", "--format", "json", "--jobs", &j, cap],
        ));
    }
    // Parquet's tables go to a directory of their own, rewritten by every run.
    let parquet_dir =
        std::env::temp_dir().join(format!("synack-bench-parquet-{}", std::process::id()));
    let parquet_dir = parquet_dir.to_str().expect("a UTF-8 path").to_string();
    ours.push(Variant::new(
        &format!("synack report --format parquet -j {jobs}"),
        &synack,
        &[
            "report",
            "--format",
            "parquet",
            "--output",
            &parquet_dir,
            "--jobs",
            &j,
            cap,
        ],
    ));
    ours.push(Variant::new(
        &format!("synack report (table) -j {jobs}"),
        &synack,
        &["report", "--jobs", &j, cap],
    ));
    ours.push(
        Variant::new("synack lint -j 1", &synack, &["lint", "--jobs", "1", cap]).ok_codes(&[0, 1]),
    );
    if jobs > 1 {
        ours.push(
            Variant::new(
                &format!("synack lint -j {jobs}"),
                &synack,
                &["lint", "--jobs", &j, cap],
            )
            .ok_codes(&[0, 1]),
        );
    }
    let mut external = Vec::new();
    if external_repeat > 0 {
        if let Some(p) = spawn::installed("tshark", "--version") {
            external.push(Variant::new(
                "tshark -q -z conv,tcp",
                p,
                &["-q", "-z", "conv,tcp", "-r", cap],
            ));
        }
        if let Some(p) = spawn::installed("tcptrace", "-v") {
            external.push(Variant::new("tcptrace -n -l", p, &["-n", "-l", cap]));
        }
    }
    let mut results: Vec<Vec<Measured>> = vec![Vec::new(); ours.len() + external.len()];
    for round in 0..repeat.max(external_repeat) {
        let todo = ours.iter().enumerate().filter(|_| round < repeat).chain(
            external
                .iter()
                .enumerate()
                .map(|(i, v)| (ours.len() + i, v))
                .filter(|_| round < external_repeat),
        );
        for (i, v) in todo {
            match v.run() {
                Ok(m) => results[i].push(m),
                Err(e) => {
                    eprintln!("synack-bench: {e}");
                    std::process::exit(2);
                }
            }
        }
    }
    let mb = size as f64 / 1e6;
    println!(
        "capture: {} ({:.0} MB, {} packets); {} on {} cores; medians of {repeat} runs (tshark, tcptrace: {external_repeat})",
        capture.display(),
        mb,
        packets,
        std::env::consts::OS,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!(
        "{:<36} {:>8} {:>11} {:>7} {:>9} {:>8} {:>8}",
        "variant", "wall s", "packets/s", "MB/s", "peak RSS", "× floor", "× RSS"
    );
    let all: Vec<&Variant> = ours.iter().chain(external.iter()).collect();
    let stats: Vec<(Duration, u64)> = results
        .iter()
        .map(|r| {
            (
                median(r.iter().map(|m| m.wall).collect()),
                median(r.iter().map(|m| m.max_rss).collect()),
            )
        })
        .collect();
    let (floor_t, floor_rss) = stats[0];
    for (v, (t, rss)) in all.iter().zip(&stats) {
        let s = t.as_secs_f64();
        println!(
            "{:<36} {:>8.3} {:>11.0} {:>7.0} {:>6.0} MB {:>8.2} {:>8.1}",
            v.name,
            s,
            packets as f64 / s,
            mb / s,
            *rss as f64 / 1e6,
            s / floor_t.as_secs_f64(),
            *rss as f64 / floor_rss.max(1) as f64,
        );
    }
    let _ = std::fs::remove_dir_all(&parquet_dir);
}

fn main() {
    match Cli::parse().cmd {
        Cmd::Gen {
            size,
            out,
            format,
            seed,
            profile,
            live,
            rate,
        } => {
            let (default_live, default_rate) = match profile {
                Profile::Mixed => (2000, 170.0),
                Profile::Busy => (10_000, 20_000.0),
                Profile::Flood | Profile::AfterRst => (0, 333_000.0),
            };
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
                live: live.unwrap_or(default_live),
                rate: rate.unwrap_or(default_rate),
                shape: match profile {
                    Profile::Mixed | Profile::Busy => gen::Shape::Mix,
                    Profile::Flood => gen::Shape::Flood,
                    Profile::AfterRst => gen::Shape::AfterRst,
                },
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
        Cmd::Stage {
            stage,
            capture,
            jobs,
        } => {
            let r = match stage {
                Stage::Floor => measure::floor(&capture),
                Stage::Decode => measure::read_and_decode(&capture),
                Stage::Track => measure::track(&capture, jobs),
            };
            println!("{} packets in {:.3} s", r.packets, r.elapsed.as_secs_f64());
        }
        Cmd::Run {
            capture,
            repeat,
            jobs,
            external_repeat,
        } => run(&capture, repeat.max(1), jobs, external_repeat),
    }
}
