//! `mahnwerk bench import`: imports generated camt.053 statements (see [`super::statement`]) of
//! 10,000 and `--entries` entries into PostgreSQL (or SQLite) and reports entries per second and
//! the process's peak resident memory during each import, side by side, so that one sees whether
//! memory stays flat as the file grows. The invoices the entries pay are taken in through
//! intake first, under a tenant of the run's own, so a rerun on the same database starts clean.

use super::host_cpu::HostCpu;
use super::statement;
use super::work_cpu::WorkCpu;
use crate::domain::{AttributionWindow, TenantId};
use crate::intake::apply_commands;
use crate::pay::import::{
    import_lines, statement_lines, workers_for, Format, ImportOptions, ImportReport, CHUNK,
};
use crate::pay::Settlement;
use crate::runtime::clock::{Clock, SystemClock};
use crate::store::Store;
use anyhow::{bail, Context};
use serde::Serialize;
use std::fmt;
use std::path::Path;
use std::time::Instant;

/// One import measured.
#[derive(Debug, Serialize)]
pub struct ImportRun {
    pub entries: usize,
    pub file_bytes: u64,
    pub invoices: usize,
    pub seconds: f64,
    pub entries_per_s: f64,
    /// Peak resident memory of this process during the import (`VmHWM`, reset before it).
    pub peak_rss_kib: Option<u64>,
    /// The whole host's busy CPU time per entry (PostgreSQL and mahnwerk together), in
    /// microseconds; `null` off Linux.
    pub host_cpu_us: Option<f64>,
    /// The CPU time of this process and the PostgreSQL server on this host per entry, in
    /// microseconds: the import's own cost, whatever else the host runs; `null` off Linux.
    pub work_cpu_us: Option<f64>,
    pub report: ImportReport,
}

#[derive(Debug, Serialize)]
pub struct ImportFigures {
    pub backend: String,
    pub cores: usize,
    pub chunk: usize,
    /// Chunks in flight at once.
    pub workers: usize,
    pub runs: Vec<ImportRun>,
}

impl fmt::Display for ImportFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bank import benchmark: camt.053.001.08 on {}, {} cores, {} lines per transaction, \
             {} transactions at once, the store on this host",
            self.backend, self.cores, self.chunk, self.workers
        )?;
        writeln!(f, "  per 20 entries: 12 RF reference, 2 number in text, 1 partial, 1 split, 1 amount+name, 1 overpaid, 1 unmatched, 1 debit")?;
        writeln!(
            f,
            "{:>10} {:>10} {:>10} {:>9} {:>12} {:>14} {:>10} {:>14} {:>14}",
            "entries",
            "file MiB",
            "invoices",
            "seconds",
            "entries/s",
            "peak RSS MiB",
            "payments",
            "host CPU each",
            "own+PG CPU each"
        )?;
        for run in &self.runs {
            let rss =
                run.peak_rss_kib.map_or_else(|| "n/a".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
            let cpu = run.host_cpu_us.map_or_else(|| "n/a".to_owned(), |us| format!("{us:.0} µs"));
            let work = run.work_cpu_us.map_or_else(|| "n/a".to_owned(), |us| format!("{us:.0} µs"));
            writeln!(
                f,
                "{:>10} {:>10.1} {:>10} {:>9.2} {:>12.0} {:>14} {:>10} {:>14} {:>14}",
                run.entries,
                run.file_bytes as f64 / (1024.0 * 1024.0),
                run.invoices,
                run.seconds,
                run.entries_per_s,
                rss,
                run.report.payments_recorded,
                cpu,
                work
            )?;
        }
        write!(f, "target: >= 20,000 entries/s on PostgreSQL, peak memory flat in the file's size")
    }
}

/// Runs the benchmark on `store` (opened on `database_url`) with statements of 10,000 and
/// `entries` entries, written into `dir`.
pub async fn import(
    store: &dyn Store,
    database_url: &str,
    entries: usize,
    with_invoices: bool,
    dir: &Path,
) -> anyhow::Result<ImportFigures> {
    if entries == 0 {
        bail!("--entries must be at least 1");
    }
    let mut sizes = vec![entries.min(10_000), entries];
    sizes.dedup();
    let mut runs = Vec::new();
    for size in sizes {
        runs.push(run(store, size, with_invoices, workers_for(database_url), dir).await?);
    }
    let backend = if database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = workers_for(database_url);
    Ok(ImportFigures { backend: backend.to_owned(), cores, chunk: CHUNK, workers, runs })
}

/// Without invoices every credit line goes unmatched: the import's own cost (reading, looking
/// up, storing the lines) without any payment recorded.
async fn run(
    store: &dyn Store,
    entries: usize,
    with_invoices: bool,
    workers: usize,
    dir: &Path,
) -> anyhow::Result<ImportRun> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let tenant = TenantId::parse(&format!("bench-{}", &id[..12])).expect("a valid slug");
    eprintln!("{entries} entries: taking in the invoices they pay");
    let mut invoices = 0;
    for start in (0..entries).step_by(1000).filter(|_| with_invoices) {
        let commands = statement::invoices(&tenant, start..(start + 1000).min(entries), SystemClock.now());
        invoices += commands.len();
        apply_commands(
            store,
            &Settlement::statutory(),
            &commands,
            AttributionWindow::default(),
            SystemClock.now(),
        )
        .await?;
    }
    let path = dir.join(format!("statement-{entries}.xml"));
    let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    statement::write(file, entries)?;
    let file_bytes = std::fs::metadata(&path)?.len();
    eprintln!("{entries} entries: importing {} ({file_bytes} bytes)", path.display());
    reset_peak_rss();
    let cpu_before = HostCpu::now();
    let work_before = WorkCpu::now();
    let started = Instant::now();
    let input = std::fs::File::open(&path)?;
    let lines = statement_lines(input, &path, Some(Format::Camt053), &Default::default())?;
    let law = crate::domain::legal::Germany::default();
    let options = ImportOptions { tenant, window: AttributionWindow::default(), law, chunk: CHUNK, workers };
    let report = import_lines(store, lines, &options, SystemClock.now()).await?;
    let seconds = started.elapsed().as_secs_f64();
    let host_cpu_us = cpu_before
        .zip(HostCpu::now())
        .map(|(before, after)| after.since(before).as_secs_f64() * 1e6 / entries as f64);
    let work_cpu_us = work_before
        .zip(WorkCpu::now())
        .map(|(before, after)| after.since(before).as_secs_f64() * 1e6 / entries as f64);
    let peak_rss_kib = peak_rss_kib();
    std::fs::remove_file(&path).ok();
    if let Some(failed) = &report.failed {
        bail!("the generated statement did not import: {failed}");
    }
    let entries_per_s = entries as f64 / seconds;
    Ok(ImportRun {
        entries,
        file_bytes,
        invoices,
        seconds,
        entries_per_s,
        peak_rss_kib,
        host_cpu_us,
        work_cpu_us,
        report,
    })
}

/// Resets the kernel's peak resident memory of this process (Linux: `5` to `clear_refs`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `VmHWM` of `/proc/self/status`, in KiB; `None` off Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
