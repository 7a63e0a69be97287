//! How `mahnwerk-train versions` prints the published versions.

use mahnwerk::store::PublishedModel;
use std::fmt::Write as _;

/// A table, newest first, and which snapshot the schedulers load now.
pub fn render(published: &[PublishedModel], latest: Option<i64>) -> String {
    let mut out = String::new();
    match (published.first(), latest) {
        (_, None) => out.push_str("no policy snapshot yet: schedulers decide with the prior\n"),
        (Some(newest), Some(latest)) if newest.version == latest => {
            let _ = writeln!(out, "schedulers use bandit-v{latest}, the newest published version");
        }
        (Some(newest), Some(latest)) => {
            let _ = writeln!(
                out,
                "schedulers use bandit-v{latest}: the learner's, continued from the newest published v{}",
                newest.version
            );
        }
        (None, Some(latest)) => {
            let _ = writeln!(out, "schedulers use bandit-v{latest}, the learner's; nothing was published");
        }
    }
    if published.is_empty() {
        return out;
    }
    let _ =
        writeln!(out, "{:>8}  {:<20}  {:<12}  {:<10}  note", "version", "published (UTC)", "by", "evaluated");
    for p in published {
        let note = match p.restores {
            Some(v) if p.note.is_empty() => format!("(restores v{v})"),
            Some(v) => format!("{} (restores v{v})", p.note),
            None => p.note.clone(),
        };
        let evaluated = if p.evaluation.is_some() { "yes" } else { "no" };
        let _ = writeln!(
            out,
            "{:>8}  {:<20}  {:<12}  {:<10}  {}",
            format!("v{}", p.version),
            p.published_at.format("%Y-%m-%d %H:%M:%S"),
            p.published_by,
            evaluated,
            note
        );
    }
    out
}

/// One JSON object a line, with the evaluation as JSON.
pub fn json_lines(published: &[PublishedModel]) -> anyhow::Result<String> {
    let mut out = String::new();
    for p in published {
        let evaluation: serde_json::Value = match &p.evaluation {
            Some(text) => serde_json::from_str(text)?,
            None => serde_json::Value::Null,
        };
        let line = serde_json::json!({
            "version": p.version,
            "policy_version": format!("bandit-v{}", p.version),
            "published_at": p.published_at,
            "published_by": p.published_by,
            "note": p.note,
            "restores": p.restores,
            "evaluation": evaluation,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok(out)
}
