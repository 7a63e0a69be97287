//! The host's busy CPU time, read from `/proc/stat`: what a measurement cost the whole machine
//! (PostgreSQL, RabbitMQ and mahnwerk together), which moves far less from run to run than the
//! throughput of a machine shared by three servers. Linux only; elsewhere there is no reading.

use std::time::Duration;

/// Busy CPU time of all cores since boot.
#[derive(Debug, Clone, Copy)]
pub struct HostCpu(Duration);

impl HostCpu {
    /// The current reading, or `None` where `/proc/stat` is missing or unreadable.
    pub fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        busy_since_boot(&stat).map(HostCpu)
    }

    /// Busy CPU time from `earlier` to `self`.
    pub fn since(self, earlier: HostCpu) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// The busy time in the `cpu` line of `/proc/stat`: user, nice, system, irq and softirq ticks
/// (idle, iowait and time stolen by a hypervisor are not this machine's work).
fn busy_since_boot(stat: &str) -> Option<Duration> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line.split_whitespace().skip(1).map(|t| t.parse().ok()).collect::<Option<_>>()?;
    let field = |i: usize| ticks.get(i).copied();
    let busy = field(0)? + field(1)? + field(2)? + field(5)? + field(6)?;
    Some(Duration::from_secs_f64(busy as f64 / USER_HZ as f64))
}

/// The unit of `/proc/stat`, ticks per second: 100 on every Linux architecture that mahnwerk
/// builds for (the kernel fixes it for user space regardless of its internal tick rate).
const USER_HZ: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_time_counts_user_nice_system_irq_and_softirq_only() {
        let stat = "cpu  100 20 30 4000 50 6 7 800 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n";
        assert_eq!(busy_since_boot(stat), Some(Duration::from_millis(1630)));
    }

    #[test]
    fn a_malformed_cpu_line_gives_no_reading() {
        assert_eq!(busy_since_boot("cpu  1 2 x\n"), None);
        assert_eq!(busy_since_boot("intr 1\n"), None);
    }
}
