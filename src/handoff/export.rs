//! `mahnwerk cases export --escalated`: the claim statements of the cases that are escalated now
//! (the latest statement of each), as one JSON array, as CSV with one row of sums per case, or
//! as one PDF per case in a folder.

use super::pdf::statement_pdf;
use crate::deliver::Creditors;
use crate::domain::legal::ClaimStatement;
use crate::domain::TenantId;
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::PathBuf;

/// How the statements are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON array of the whole statements.
    Json,
    /// One row per case: identity, dates and sums.
    Csv,
    /// One PDF per case into a folder.
    Pdf,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            "pdf" => Ok(Self::Pdf),
            other => Err(format!("--format: '{other}' is not one of json, csv, pdf")),
        }
    }
}

/// What to export and where.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub tenant: Option<TenantId>,
    /// Only cases escalated at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub format: ExportFormat,
    /// The folder for PDFs (required for [`ExportFormat::Pdf`]).
    pub out_dir: Option<PathBuf>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub statements: usize,
    /// The PDF files written, for [`ExportFormat::Pdf`].
    pub files: Vec<PathBuf>,
}

/// Writes the statements `options` select: JSON and CSV to `out`, PDFs into `options.out_dir`.
pub async fn export_escalated(
    store: &dyn Store,
    creditors: &Creditors,
    options: &ExportOptions,
    out: &mut dyn Write,
) -> anyhow::Result<ExportSummary> {
    let mut tx = store.begin().await?;
    let statements = tx.escalated_statements(options.tenant.as_ref(), options.since).await?;
    tx.commit().await?;
    let mut files = Vec::new();
    match options.format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &statements)?;
            writeln!(out)?;
        }
        ExportFormat::Csv => write_csv(&statements, out)?,
        ExportFormat::Pdf => {
            let dir = options.out_dir.as_ref().context("--out: PDFs need a folder to be written to")?;
            std::fs::create_dir_all(dir).with_context(|| format!("--out: creating {}", dir.display()))?;
            for statement in &statements {
                let creditor = creditors.get(statement.tenant.as_str());
                let (name, pdf) = statement_pdf(statement, &creditor).with_context(|| {
                    format!("case {}: the statement cannot be printed", statement.case_id)
                })?;
                let path = dir.join(name);
                std::fs::write(&path, pdf).with_context(|| format!("writing {}", path.display()))?;
                files.push(path);
            }
        }
    }
    Ok(ExportSummary { statements: statements.len(), files })
}

/// The CSV columns, one row per statement.
pub const CSV_HEADER: [&str; 17] = [
    "tenant",
    "case_id",
    "invoice_number",
    "debtor_id",
    "debtor_name",
    "escalated_at",
    "as_of",
    "currency",
    "principal",
    "fees",
    "interest",
    "paid",
    "total",
    "in_default_from",
    "limitation_last_day",
    "reminders_sent",
    "last_reminder_on",
];

fn write_csv(statements: &[ClaimStatement], out: &mut dyn Write) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for s in statements {
        let totals = s.totals();
        let optional = |day: Option<chrono::NaiveDate>| day.map(|d| d.to_string()).unwrap_or_default();
        writer.write_record([
            s.tenant.to_string(),
            s.case_id.to_string(),
            s.invoice().map(|i| i.to_string()).unwrap_or_default(),
            s.debtor.id.to_string(),
            s.debtor.name.clone(),
            s.escalated_at.to_rfc3339(),
            totals.as_of.to_string(),
            s.breakdown.currency.code().to_owned(),
            totals.principal.to_string(),
            totals.fees.to_string(),
            totals.interest.to_string(),
            totals.paid.to_string(),
            totals.total.to_string(),
            optional(totals.in_default_from),
            optional(totals.limitation_last_day),
            s.reminders.len().to_string(),
            optional(s.reminders.iter().map(|r| r.sent_on).max()),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
