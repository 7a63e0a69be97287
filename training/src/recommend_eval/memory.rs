//! The process's resident memory from /proc (Linux): the current size and the peak since the
//! last reset, so the fit's own peak can be told from what the benchmark already holds.

/// Resident set size now (`VmRSS`) and its peak (`VmHWM`), in bytes; `None` off Linux.
pub fn resident() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets the peak to the current size (writing 5 to /proc/self/clear_refs, Linux 4.0 and
/// later). False when the kernel refuses: the peak then covers the whole run so far.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
