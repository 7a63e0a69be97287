//! `mahnwerk-train export`: every sent reminder's decision and outcome out of the service's
//! database as a decision log (JSON lines, docs/decision-log.md), CSV or Parquet, read as a
//! stream so that memory stays flat however many rows there are.

mod line;
mod parquet_sink;

use crate::db;
use anyhow::{bail, Context as _};
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures_util::StreamExt as _;
use line::ExportLine;
use mahnwerk::domain::ChannelKind;
use mahnwerk::store::ExportFilter;
use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The service's database: postgres://… or sqlite://….
    #[arg(long, env = "MAHNWERK_DATABASE_URL")]
    pub database_url: String,
    /// Only this tenant's decisions.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only decisions made on or after this day (UTC, YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<NaiveDate>,
    /// Only decisions made on or before this day (UTC, YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Output file: `.jsonl` (the decision log), `.csv` or `.parquet`.
    #[arg(long)]
    pub out: PathBuf,
    /// A channel's cost per message in EUR, `channel=eur`, repeatable; default: the service's list
    /// prices (`[learn] costs_eur`'s defaults).
    #[arg(long = "cost", value_parser = parse_cost)]
    pub costs: Vec<(ChannelKind, f64)>,
}

enum Format {
    JsonLines,
    Csv,
    Parquet,
}

fn format_of(path: &Path) -> anyhow::Result<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl") | Some("json") => Ok(Format::JsonLines),
        Some("csv") => Ok(Format::Csv),
        Some("parquet") => Ok(Format::Parquet),
        _ => bail!("--out {}: the name must end in .jsonl, .csv or .parquet", path.display()),
    }
}

fn parse_cost(raw: &str) -> Result<(ChannelKind, f64), String> {
    let (channel, eur) = raw.split_once('=').ok_or("expected channel=eur, e.g. sms=0.09")?;
    let channel: ChannelKind = channel.parse().map_err(|e| format!("{e}"))?;
    let eur: f64 = eur.parse().map_err(|e| format!("cost {eur:?}: {e}"))?;
    if !(eur.is_finite() && eur >= 0.0) {
        return Err(format!("cost {eur} must be a finite number >= 0"));
    }
    Ok((channel, eur))
}

/// The UTC bounds of `--since`/`--until` (both days included).
fn filter(args: &ExportArgs) -> anyhow::Result<ExportFilter> {
    let start = |day: NaiveDate| -> DateTime<Utc> { day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() };
    let until = match args.until {
        Some(day) => Some(start(day.checked_add_days(Days::new(1)).context("--until is out of range")?)),
        None => None,
    };
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            bail!("--since {since} is after --until {until}");
        }
    }
    Ok(ExportFilter { tenant: args.tenant.clone(), since: args.since.map(start), until })
}

/// Exports; returns a one-line summary.
pub fn run(args: &ExportArgs) -> anyhow::Result<String> {
    let format = format_of(&args.out)?;
    let filter = filter(args)?;
    let mut costs = mahnwerk::config::default_costs_eur();
    costs.extend(args.costs.iter().copied());
    let file =
        std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let out = std::io::BufWriter::new(file);
    let rows = db::block_on(async {
        let store = db::open(&args.database_url).await?;
        write_all(store.as_ref(), filter, &costs, format, out).await
    })
    .with_context(|| format!("exporting to {}", args.out.display()))?;
    Ok(format!("{rows} decisions written to {}", args.out.display()))
}

async fn write_all(
    store: &dyn mahnwerk::store::Store,
    filter: ExportFilter,
    costs: &BTreeMap<ChannelKind, f64>,
    format: Format,
    out: impl Write + Send,
) -> anyhow::Result<u64> {
    let progress = progress_bar();
    let mut sink = Sink::new(format, out)?;
    let mut stream = store.export_decisions(filter);
    let mut rows = 0u64;
    while let Some(decision) = stream.next().await {
        let decision = decision.with_context(|| format!("reading the decision after row {rows}"))?;
        sink.write(&ExportLine::new(&decision, costs))?;
        rows += 1;
        if rows % 4096 == 0 {
            progress.set_position(rows);
        }
    }
    sink.finish()?;
    progress.finish_and_clear();
    Ok(rows)
}

/// A spinner with the count on a terminal (the total is not known before the end); hidden
/// otherwise, so logs and pipes get no control characters.
fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {human_pos} decisions ({per_sec})")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

enum Sink<W: Write + Send> {
    JsonLines(W),
    // Boxed: the writers' buffer states are large beside a plain `W`, and there is one sink.
    Csv(Box<csv::Writer<W>>),
    Parquet(Box<parquet_sink::ParquetSink<W>>),
}

impl<W: Write + Send> Sink<W> {
    fn new(format: Format, out: W) -> anyhow::Result<Self> {
        Ok(match format {
            Format::JsonLines => Sink::JsonLines(out),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(ExportLine::csv_header())?;
                Sink::Csv(Box::new(writer))
            }
            Format::Parquet => Sink::Parquet(Box::new(parquet_sink::ParquetSink::new(out)?)),
        })
    }

    fn write(&mut self, line: &ExportLine<'_>) -> anyhow::Result<()> {
        match self {
            Sink::JsonLines(out) => {
                serde_json::to_writer(&mut *out, line)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(writer) => writer.write_record(line.csv_record())?,
            Sink::Parquet(sink) => sink.write(line)?,
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::JsonLines(mut out) => out.flush()?,
            Sink::Csv(mut writer) => writer.flush()?,
            Sink::Parquet(sink) => sink.finish()?,
        }
        Ok(())
    }
}
