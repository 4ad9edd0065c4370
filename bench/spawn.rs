//! Runs one variant as its own process and measures it from outside: wall time, and peak
//! resident memory from the kernel's accounting of the child (`wait4`'s `ru_maxrss`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One command the bench runs.
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Exit statuses that mean it worked (`synack lint` exits 1 when it finds something).
    pub ok_codes: Vec<i32>,
}

#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set, bytes.
    pub max_rss: u64,
}

impl Variant {
    pub fn new(name: &str, program: impl Into<PathBuf>, args: &[&str]) -> Self {
        Variant {
            name: name.to_string(),
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            ok_codes: vec![0],
        }
    }

    pub fn ok_codes(mut self, codes: &[i32]) -> Self {
        self.ok_codes = codes.to_vec();
        self
    }

    /// Runs it once, output to /dev/null.
    pub fn run(&self) -> Result<Measured, String> {
        let start = Instant::now();
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env_remove("SYNACK_JOBS")
            .spawn()
            .map_err(|e| {
                format!(
                    "{}: cannot start {}: {e}",
                    self.name,
                    self.program.display()
                )
            })?;
        let pid = child.id() as libc::pid_t;
        let mut stderr = child.stderr;
        // Drained before waiting, so a chatty child cannot block on a full pipe.
        let mut err = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = std::io::Read::read_to_string(s, &mut err);
        }
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data, fully written by wait4 on success.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our own child, not yet reaped (`child` was not waited on).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = start.elapsed();
        if r != pid {
            return Err(format!(
                "{}: wait4 failed: {}",
                self.name,
                std::io::Error::last_os_error()
            ));
        }
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        };
        if !self.ok_codes.contains(&code) {
            return Err(format!(
                "{}: exit status {code}: {}",
                self.name,
                err.lines().next().unwrap_or("")
            ));
        }
        Ok(Measured {
            wall,
            // Linux reports kilobytes.
            max_rss: (usage.ru_maxrss as u64) * 1024,
        })
    }
}

/// `program` when it can be run (`--version` or `-v` answers), for the optional comparisons.
pub fn installed(program: &str, probe: &str) -> Option<PathBuf> {
    let ok = Command::new(program)
        .arg(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    ok.then(|| PathBuf::from(program))
}
