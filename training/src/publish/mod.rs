//! `mahnwerk-train publish`, `versions` and `rollback`: put a model in front of the running
//! schedulers, see what was published by whom and why, and go back.
//!
//! Publishing writes the model as the newest policy snapshot, with who, when, the note and the
//! evaluation in `published_models`, in one transaction. Schedulers poll the newest snapshot
//! version every `[learn] reload_secs` and load it when it changed, so they switch without a
//! restart; the learner takes up a snapshot newer than its own before it writes its next one,
//! so it continues from the published model; decisions record `bandit-v<version>`. A rollback
//! publishes an earlier published model again, as a new version (docs/analysts.md).

mod table;

use crate::db;
use anyhow::{bail, Context as _};
use chrono::Utc;
use mahnwerk::store::{NewPublication, Store};
use mahnwerk_models::bandit::{Bandit, Snapshot};
use std::path::PathBuf;

/// Who published: `--by`, else `$USER`.
#[derive(clap::Args, Debug)]
pub struct Who {
    /// Who publishes (default: `$USER`).
    #[arg(long, env = "USER", default_value = "unknown")]
    pub by: String,
}

#[derive(clap::Args, Debug)]
pub struct PublishArgs {
    /// The model snapshot to publish (`mahnwerk-train fit --out`).
    pub model: PathBuf,
    /// The service's database: postgres://… or sqlite://….
    #[arg(long, env = "MAHNWERK_DATABASE_URL")]
    pub database_url: String,
    /// Why this model: kept with the version.
    #[arg(long, default_value = "")]
    pub note: String,
    /// The evaluation that justified it (`mahnwerk-train evaluate --json` or `compare --json`
    /// output), stored with the version.
    #[arg(long)]
    pub evaluation: Option<PathBuf>,
    #[command(flatten)]
    pub who: Who,
}

#[derive(clap::Args, Debug)]
pub struct VersionsArgs {
    #[arg(long, env = "MAHNWERK_DATABASE_URL")]
    pub database_url: String,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// The published version to return to (default: the one published before the newest).
    pub version: Option<i64>,
    #[arg(long, env = "MAHNWERK_DATABASE_URL")]
    pub database_url: String,
    /// Why (default: "rollback to v<N>").
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub who: Who,
}

/// A model the service will accept: what its schedulers' `install` and the learner check.
fn checked_model(text: &str, what: &str) -> anyhow::Result<(Snapshot, i64)> {
    let snapshot: Snapshot =
        serde_json::from_str(text).with_context(|| format!("{what} is not a model snapshot"))?;
    let bandit = Bandit::from_snapshot(snapshot.clone(), 0).with_context(|| format!("{what} was refused"))?;
    let updates = i64::try_from(bandit.stats().updates).unwrap_or(i64::MAX);
    Ok((snapshot, updates))
}

pub fn publish(args: &PublishArgs) -> anyhow::Result<String> {
    let what = args.model.display().to_string();
    let body = std::fs::read_to_string(&args.model).with_context(|| format!("reading {what}"))?;
    let (_, updates) = checked_model(&body, &what)?;
    let evaluation = match &args.evaluation {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("--evaluation {} is not JSON", path.display()))?;
            Some(value.to_string())
        }
        None => None,
    };
    db::block_on(async {
        let store = db::open(&args.database_url).await?;
        let version = store
            .publish_policy(&NewPublication {
                published_at: Utc::now(),
                published_by: &args.who.by,
                note: &args.note,
                evaluation: evaluation.as_deref(),
                restores: None,
                updates,
                body: &body,
            })
            .await?;
        Ok(format!("published {what} as bandit-v{version}; schedulers load it within [learn] reload_secs"))
    })
}

pub fn versions(args: &VersionsArgs) -> anyhow::Result<String> {
    db::block_on(async {
        let store = db::open(&args.database_url).await?;
        let published = store.published_models().await?;
        let latest = store.latest_policy_version().await?;
        Ok(if args.json { table::json_lines(&published)? } else { table::render(&published, latest) })
    })
}

pub fn rollback(args: &RollbackArgs) -> anyhow::Result<String> {
    db::block_on(async {
        let store = db::open(&args.database_url).await?;
        let target = match args.version {
            Some(version) => version,
            None => previous(store.as_ref()).await?,
        };
        let Some(body) = store.published_body(target).await? else {
            bail!("v{target} was never published; `mahnwerk-train versions` lists the published ones");
        };
        let (_, updates) = checked_model(&body, &format!("published v{target}"))?;
        let note = args.note.clone().unwrap_or_else(|| format!("rollback to v{target}"));
        let version = store
            .publish_policy(&NewPublication {
                published_at: Utc::now(),
                published_by: &args.who.by,
                note: &note,
                evaluation: None,
                restores: Some(target),
                updates,
                body: &body,
            })
            .await?;
        Ok(format!("published v{target}'s model again as bandit-v{version}"))
    })
}

/// The version published before the newest one.
async fn previous(store: &dyn Store) -> anyhow::Result<i64> {
    let published = store.published_models().await?;
    match published.as_slice() {
        [_, before, ..] => Ok(before.version),
        [only] => bail!("only v{} was published: there is nothing to roll back to", only.version),
        [] => bail!("nothing was published yet"),
    }
}
