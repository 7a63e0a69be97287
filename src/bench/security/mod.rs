//! `mahnwerk bench security`: forged, tampered, expired and cross-tenant links and webhooks, and
//! replays of genuine ones, sent over HTTP to the API ([`attacks`]); each must change nothing in
//! the database ([`fingerprint`]: every table compared before and after), and all but replays
//! must be refused (4xx). A replay's original is sent first and may change what it changes; the
//! replay, a minute later on the service's clock, must not. Runs in-process on a SQLite database
//! of its own ([`world`]); no server is needed.

mod attacks;
mod fingerprint;
mod world;

use anyhow::Context;
use attacks::{Attack, Kind, Request};
use fingerprint::Fingerprint;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// What one attack got.
#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    pub target: &'static str,
    pub kind: Kind,
    pub status: u16,
    /// Tables whose rows changed because of the request (must be none).
    pub changed: Vec<String>,
    /// For a replay: the originals' statuses and the tables they changed.
    pub genuine_statuses: Vec<u16>,
    pub genuine_changed: Vec<String>,
}

impl Tried {
    pub fn holds(&self) -> bool {
        let refused = !self.kind.must_be_refused() || (400..500).contains(&self.status);
        let originals_accepted = self.genuine_statuses.iter().all(|s| (200..400).contains(s));
        refused && self.changed.is_empty() && originals_accepted
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityFigures {
    pub tried: Vec<Tried>,
    pub refused: usize,
    pub replays: usize,
    /// Attacks that changed something in the database, or were not refused though they must be.
    pub failed: usize,
}

impl SecurityFigures {
    pub fn holds(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for SecurityFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "security check: {} requests to the API (in-process, SQLite), every table compared before and after each",
            self.tried.len()
        )?;
        writeln!(f, "  target                 kind                   status  changed")?;
        for t in &self.tried {
            let changed = if t.changed.is_empty() { "nothing".to_owned() } else { t.changed.join(", ") };
            let original = if t.kind == Kind::Replayed {
                let what = if t.genuine_changed.is_empty() {
                    "nothing".to_owned()
                } else {
                    t.genuine_changed.join(", ")
                };
                format!("   (the original: {:?}, changed {what})", t.genuine_statuses)
            } else {
                String::new()
            };
            let mark = if t.holds() { "" } else { "   <- FAILS" };
            writeln!(
                f,
                "  {:<22} {:<22} {:>6}  {changed}{original}{mark}",
                t.target,
                t.kind.as_str(),
                t.status
            )?;
        }
        writeln!(
            f,
            "  {} refused as they must be, {} replays, {} changed something or got through (target 0)",
            self.refused, self.replays, self.failed
        )?;
        write!(f, "  {}", if self.holds() { "every check holds" } else { "CHECKS FAILED" })
    }
}

pub async fn security() -> anyhow::Result<SecurityFigures> {
    let world = world::World::build().await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .context("an HTTP client")?;
    let mut tried = Vec::new();
    for attack in attacks::all(&world) {
        tried.push(try_one(&world, &http, attack).await?);
    }
    world.stop();
    let refused = tried.iter().filter(|t| t.kind.must_be_refused() && (400..500).contains(&t.status)).count();
    let replays = tried.iter().filter(|t| t.kind == Kind::Replayed).count();
    let failed = tried.iter().filter(|t| !t.holds()).count();
    Ok(SecurityFigures { tried, refused, replays, failed })
}

async fn try_one(world: &world::World, http: &reqwest::Client, attack: Attack) -> anyhow::Result<Tried> {
    let before_originals = Fingerprint::of(&world.database_url).await?;
    let mut genuine_statuses = Vec::new();
    for request in &attack.genuine_first {
        genuine_statuses.push(send(world, http, request).await?);
    }
    let before = Fingerprint::of(&world.database_url).await?;
    if !attack.genuine_first.is_empty() {
        // A replay comes later than its original.
        world.clock.advance(chrono::Duration::minutes(1));
    }
    let status = send(world, http, &attack.request).await?;
    let after = Fingerprint::of(&world.database_url).await?;
    Ok(Tried {
        target: attack.target,
        kind: attack.kind,
        status,
        changed: after.changed_since(&before),
        genuine_statuses,
        genuine_changed: before.changed_since(&before_originals),
    })
}

async fn send(world: &world::World, http: &reqwest::Client, request: &Request) -> anyhow::Result<u16> {
    let url = world.url(&request.path);
    let mut builder = if request.post { http.post(&url) } else { http.get(&url) };
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    if let Some((content_type, body)) = &request.body {
        builder = builder.header("content-type", *content_type).body(body.clone());
    }
    let response = builder.send().await.with_context(|| format!("sending {}", request.path))?;
    Ok(response.status().as_u16())
}
