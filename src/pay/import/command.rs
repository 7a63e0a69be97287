//! The `mahnwerk payments` commands' work, so that `main.rs` only parses: which tenant, which
//! CSV layout (`[payments.csv]` with the command line's overrides), opening the file.

use super::{import_lines, statement_lines, workers_for, Format, ImportOptions, ImportReport, CHUNK};
use crate::config::payments::CsvLayout;
use crate::config::Config;
use crate::domain::TenantId;
use crate::store::Store;
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use std::path::Path;

/// Overrides of `[payments.csv]` on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CsvFlags {
    /// CSV field separator (default `;`).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// chrono format of the booking date (default `%d.%m.%Y`).
    #[arg(long)]
    pub date_format: Option<String>,
    /// Amounts are written `1.234,56` (true) or `1,234.56` (false).
    #[arg(long)]
    pub decimal_comma: Option<bool>,
    /// Lines before the header row.
    #[arg(long)]
    pub skip_lines: Option<usize>,
    #[arg(long)]
    pub date_column: Option<String>,
    #[arg(long)]
    pub amount_column: Option<String>,
    #[arg(long)]
    pub currency_column: Option<String>,
    /// Remittance text column; repeat for several (joined with a space).
    #[arg(long = "remittance-column")]
    pub remittance_columns: Vec<String>,
    #[arg(long)]
    pub name_column: Option<String>,
    /// The payer's IBAN column (default `IBAN Zahlungsbeteiligter`).
    #[arg(long)]
    pub iban_column: Option<String>,
    #[arg(long)]
    pub id_column: Option<String>,
}

impl CsvFlags {
    /// `layout` with these overrides.
    pub fn over(&self, layout: &CsvLayout) -> CsvLayout {
        let mut layout = layout.clone();
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(value) = value {
                target.clone_from(value);
            }
        };
        if let Some(delimiter) = self.delimiter {
            layout.delimiter = delimiter;
        }
        if let Some(decimal_comma) = self.decimal_comma {
            layout.decimal_comma = decimal_comma;
        }
        if let Some(skip) = self.skip_lines {
            layout.skip_lines = skip;
        }
        set(&mut layout.date_format, &self.date_format);
        set(&mut layout.date, &self.date_column);
        set(&mut layout.amount, &self.amount_column);
        set(&mut layout.currency, &self.currency_column);
        set(&mut layout.debtor_name, &self.name_column);
        set(&mut layout.debtor_iban, &self.iban_column);
        set(&mut layout.entry_id, &self.id_column);
        if !self.remittance_columns.is_empty() {
            layout.remittance.clone_from(&self.remittance_columns);
        }
        layout
    }
}

/// The tenant a payments command is for: `--tenant`, else the only creditor configured.
pub fn tenant(config: &Config, flag: Option<&str>) -> anyhow::Result<TenantId> {
    let raw = match flag {
        Some(raw) => raw.to_owned(),
        None => {
            let mut tenants = config.creditors.keys();
            match (tenants.next(), tenants.next()) {
                (Some(only), None) => only.clone(),
                (None, _) => {
                    bail!("--tenant is required: the configuration names no creditor ([creditors.<tenant>])")
                }
                (Some(_), Some(_)) => bail!(
                    "--tenant is required: the configuration names {} creditors ({})",
                    config.creditors.len(),
                    config.creditors.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }
        }
    };
    TenantId::parse(&raw).map_err(|e| anyhow::anyhow!("--tenant '{raw}': {e}"))
}

/// Imports the statement at `path` for `tenant`.
pub async fn import_file(
    store: &dyn Store,
    config: &Config,
    path: &Path,
    format: Option<Format>,
    tenant: TenantId,
    layout: &CsvLayout,
    now: DateTime<Utc>,
) -> anyhow::Result<ImportReport> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let lines = statement_lines(file, path, format, layout)?;
    let workers = workers_for(&config.database_url);
    let law = config.law_of(&tenant);
    let options = ImportOptions { tenant, window: config.learn.attribution(), law, chunk: CHUNK, workers };
    Ok(import_lines(store, lines, &options, now).await?)
}
