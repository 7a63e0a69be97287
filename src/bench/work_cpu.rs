//! The CPU time this process and the PostgreSQL server on this host spent, read from `/proc`:
//! what a measurement cost mahnwerk and its store, apart from whatever else the machine runs at
//! the same time (other sessions' builds and tests), which the host's busy time
//! ([`super::host_cpu`]) counts too. Every `postgres` process is summed with the children it
//! reaped, so a backend or autovacuum worker that exited during the run still counts (through
//! the postmaster). Linux only; elsewhere there is no reading.

use std::time::Duration;

/// CPU time of this process and of the `postgres` processes, since each started.
#[derive(Debug, Clone, Copy)]
pub struct WorkCpu(Duration);

impl WorkCpu {
    /// The current reading, or `None` where `/proc` cannot be read.
    pub fn now() -> Option<Self> {
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        let mut ticks = cpu_ticks(&own)?.own;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let is_pid = entry.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
            if !is_pid {
                continue;
            }
            // A process may exit between the listing and the read: it is simply not counted.
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            if let Some(process) = cpu_ticks(&stat).filter(|p| p.name == "postgres") {
                ticks += process.own + process.reaped;
            }
        }
        Some(WorkCpu(Duration::from_secs_f64(ticks as f64 / USER_HZ as f64)))
    }

    /// CPU time from `earlier` to `self`.
    pub fn since(self, earlier: WorkCpu) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// One process's line of `/proc/<pid>/stat`, in ticks.
#[derive(Debug, PartialEq, Eq)]
struct ProcessCpu<'a> {
    name: &'a str,
    /// User and system time of the process (all its threads).
    own: u64,
    /// User and system time of the children it waited for.
    reaped: u64,
}

/// Reads `pid (comm) state …`: utime, stime, cutime and cstime are fields 14 to 17; the command
/// name may hold spaces and parentheses, so the fields are counted from its last `)`.
fn cpu_ticks(stat: &str) -> Option<ProcessCpu<'_>> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // fields[0] is field 3 (the state).
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(ProcessCpu { name, own: field(14)? + field(15)?, reaped: field(16)? + field(17)? })
}

/// The unit of `/proc/<pid>/stat`'s times, ticks per second: 100 on every Linux architecture
/// mahnwerk builds for (see [`super::host_cpu`]).
const USER_HZ: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_own_and_reaped_time_past_a_name_with_spaces() {
        let stat = "2277 (postgres: 15) S 1 2277 2277 0 -1 4194560 1 2 3 4 150 25 7 8 20 0 1 0 1000 0";
        assert_eq!(cpu_ticks(stat), Some(ProcessCpu { name: "postgres: 15", own: 175, reaped: 15 }));
    }

    #[test]
    fn a_short_or_malformed_line_gives_no_reading() {
        assert_eq!(cpu_ticks("2277 (postgres) S 1 2"), None);
        assert_eq!(cpu_ticks("2277 postgres S"), None);
        assert_eq!(cpu_ticks("2277 (postgres) S 1 2277 2277 0 -1 4194560 1 2 3 4 x 25 7 8"), None);
    }
}
