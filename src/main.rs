use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
use synack::cli::{run, Cli};

fn main() -> ExitCode {
    steady_malloc();
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        // `synack report big.pcap | head`: the reader went away, which is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "synack: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// glibc's malloc raises its mmap threshold to the size of any large block freed (up to 32 MB),
/// after which lists that grow and shrink (a flood's million attempts handed over at the
/// capture's end, the connections ended in one sweep) stay in the heap, in every tracker
/// thread's arena, and their memory is kept rather than returned. Fixed thresholds of 128 KB
/// return it. Measured (synack-bench's flood profile, 1 M spoofed SYNs, `--jobs 2`): peak RSS
/// 260 -> 234 MB for `lint`, 290 -> 237 MB for `report --format json`; the busy-server profile
/// 60 -> 57 MB, time unchanged within noise.
fn steady_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets malloc's tunables; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
