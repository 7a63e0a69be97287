//! `mahnwerk-train recommend-report`: click-through and conversion of the post-payment
//! recommendations per tenant and model version, read from the service's database: items
//! shown (`recommended_items`), items clicked (the `recommendation.clicked` events, each item
//! counted once however often it was clicked), items bought later (`recommendation_conversions`,
//! see `mahnwerk::hooks::conversions`).

use crate::db;
use mahnwerk::store::conversions::{RecommendedOutcome, RecordedClick};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

#[derive(clap::Args, Debug)]
pub struct RecommendReportArgs {
    /// The service's database: postgres://… or sqlite://….
    #[arg(long, env = "MAHNWERK_DATABASE_URL")]
    pub database_url: String,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One tenant's model version.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VersionRow {
    pub tenant: String,
    pub model_version: i64,
    /// Paid cases that were shown recommendations.
    pub recommendations: u64,
    pub items_shown: u64,
    /// Distinct items followed at least once.
    pub items_clicked: u64,
    /// Every click, repeated ones included.
    pub clicks: u64,
    pub items_converted: u64,
    /// `items_clicked / items_shown`.
    pub click_through: f64,
    /// `items_converted / items_shown`.
    pub conversion: f64,
}

/// The rows of the report, by tenant and model version.
pub fn aggregate(outcomes: &[RecommendedOutcome], clicks: &[RecordedClick]) -> Vec<VersionRow> {
    let mut rows: BTreeMap<(String, i64), VersionRow> = BTreeMap::new();
    let mut cases: HashSet<(String, i64, i64)> = HashSet::new();
    for outcome in outcomes {
        let row = rows.entry((outcome.tenant.clone(), outcome.model_version)).or_insert_with(|| VersionRow {
            tenant: outcome.tenant.clone(),
            model_version: outcome.model_version,
            ..VersionRow::default()
        });
        row.items_shown += 1;
        row.items_converted += u64::from(outcome.converted);
        if cases.insert((outcome.tenant.clone(), outcome.model_version, outcome.case_id)) {
            row.recommendations += 1;
        }
    }
    let mut clicked: HashSet<(String, i64, i64, String)> = HashSet::new();
    for click in clicks {
        let Ok(body) = serde_json::from_str::<serde_json::Value>(&click.body) else { continue };
        let (Some(version), Some(sku)) = (body["model_version"].as_i64(), body["sku"].as_str()) else {
            continue;
        };
        let Some(row) = rows.get_mut(&(click.tenant.clone(), version)) else { continue };
        row.clicks += 1;
        if clicked.insert((click.tenant.clone(), version, click.case_id, sku.to_owned())) {
            row.items_clicked += 1;
        }
    }
    let ratio = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
    rows.into_values()
        .map(|mut row| {
            row.click_through = ratio(row.items_clicked, row.items_shown);
            row.conversion = ratio(row.items_converted, row.items_shown);
            row
        })
        .collect()
}

/// Reads the database and renders the report.
pub fn run(args: &RecommendReportArgs) -> anyhow::Result<String> {
    let (outcomes, clicks) = db::block_on(async {
        let store = db::open(&args.database_url).await?;
        let mut tx = store.begin().await?;
        let outcomes = tx.recommended_outcomes().await?;
        let clicks = tx.recorded_clicks().await?;
        tx.rollback().await?;
        Ok((outcomes, clicks))
    })?;
    let rows = aggregate(&outcomes, &clicks);
    let mut out = String::new();
    if args.json {
        for row in &rows {
            writeln!(out, "{}", serde_json::to_string(row)?)?;
        }
        return Ok(out);
    }
    writeln!(out, "tenant\tmodel_version\trecommendations\titems_shown\titems_clicked\tclicks\tclick_through\titems_converted\tconversion")?;
    for r in &rows {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{:.1}%\t{}\t{:.1}%",
            r.tenant,
            r.model_version,
            r.recommendations,
            r.items_shown,
            r.items_clicked,
            r.clicks,
            100.0 * r.click_through,
            r.items_converted,
            100.0 * r.conversion
        )?;
    }
    if rows.is_empty() {
        writeln!(out, "(no recommendations yet)")?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(version: i64, case_id: i64, sku: &str, converted: bool) -> RecommendedOutcome {
        RecommendedOutcome {
            tenant: "acme".into(),
            model_version: version,
            case_id,
            sku: sku.into(),
            converted,
        }
    }

    fn click(case_id: i64, version: i64, sku: &str) -> RecordedClick {
        let body =
            serde_json::json!({"tenant": "acme", "case_id": case_id, "model_version": version, "sku": sku});
        RecordedClick { tenant: "acme".into(), case_id, body: body.to_string() }
    }

    #[test]
    fn rates_count_each_item_once_per_version() {
        let outcomes = [
            shown(1, 10, "A", true),
            shown(1, 10, "B", false),
            shown(1, 11, "A", false),
            shown(1, 11, "C", false),
            shown(2, 12, "A", false),
        ];
        let clicks = [click(10, 1, "A"), click(10, 1, "A"), click(11, 1, "C"), click(12, 3, "A")];
        let rows = aggregate(&outcomes, &clicks);
        assert_eq!(rows.len(), 2);
        let v1 = &rows[0];
        assert_eq!((v1.recommendations, v1.items_shown, v1.items_clicked, v1.clicks), (2, 4, 2, 3));
        assert_eq!((v1.items_converted, v1.click_through, v1.conversion), (1, 0.5, 0.25));
        let v2 = &rows[1];
        assert_eq!(
            (v2.items_shown, v2.items_clicked, v2.conversion),
            (1, 0, 0.0),
            "a click on an unknown version counts nowhere"
        );
    }
}
