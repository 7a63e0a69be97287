//! One step of the benchmark as its own process: its wall time, the CPU time it and its
//! children used, and its peak resident memory, sampled from `/proc/<pid>/status` (`VmHWM`, the
//! kernel's high-water mark) every 20 ms until it exits, so a peak in the last moments before
//! exit may be missed by at most that much growth.

use anyhow::{bail, Context as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one step cost.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Cost {
    pub seconds: f64,
    pub peak_mib: f64,
}

/// Runs `command` to its end; its standard output is returned, its failure is an error with
/// its standard error.
pub fn measure(what: &str, mut command: Command) -> anyhow::Result<(Cost, String)> {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{what}: starting {command:?}"))?;
    let pid = child.id();
    // Both pipes are drained while the step runs, so a step that writes much cannot block on a
    // full pipe while this loop waits for it to end.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(kib) = high_water_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        match child.try_wait()? {
            Some(status) => break status,
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        bail!("{what} failed ({status}): {}", stderr.trim());
    }
    Ok((Cost { seconds, peak_mib: peak_kib as f64 / 1024.0 }, stdout))
}

/// `VmHWM` of process `pid` in KiB; `None` once it is gone.
fn high_water_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_writes_more_than_a_pipe_holds_does_not_block() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "head -c 1000000 /dev/zero | tr '\\0' x; head -c 1000000 /dev/zero | tr '\\0' y >&2",
        ]);
        let (_, out) = measure("a talkative step", command).unwrap();
        assert_eq!(out.len(), 1_000_000);
    }

    #[test]
    fn a_step_s_time_memory_and_output_are_taken() {
        let mut command = Command::new("sh");
        command.args(["-c", "head -c 50000000 /dev/zero | tail -c 1 >/dev/null; echo done"]);
        let (cost, out) = measure("a shell", command).unwrap();
        assert_eq!(out.trim(), "done");
        assert!(cost.seconds > 0.0 && cost.peak_mib > 0.0, "{cost:?}");
        let mut failing = Command::new("sh");
        failing.args(["-c", "echo broken >&2; exit 3"]);
        let error = measure("a failing step", failing).unwrap_err().to_string();
        assert!(error.contains("a failing step failed") && error.contains("broken"), "{error}");
    }
}
