//! `mahnwerk demo --serve`: after the report, the `api` role keeps running on the demo's database,
//! so a newcomer can open a reminder's pay-link from the demo's outbox in a browser, promise a
//! date or dispute, and watch the case change. The server's clock stands where the simulation
//! ended, so the links the simulation sent are as fresh as they were then.

use super::driver::demo_config;
use super::{world, DemoOptions};
use crate::app::{Role, Service};
use crate::config::PolicyKind;
use crate::deliver::{LinkPurpose, Links};
use crate::pay::page::PayPages;
use crate::queue::{NoBroker, Queue};
use crate::runtime::{Clock, ManualClock};
use crate::store::Store;
use chrono::{DateTime, Duration, Utc};
use std::path::Path;
use std::sync::Arc;

/// Emails read from the outbox when looking for pay-links.
const EMAILS_SCANNED: usize = 5_000;

/// A pay-link from the outbox, with the state of its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayLinkSample {
    pub url: String,
    pub invoice_number: String,
    pub state: String,
    pub asks_for_money: bool,
}

/// Serves the pay-page for the run of `policy` in `options.out` until `stop` resolves, after
/// printing up to `count` pay-links from its outbox (most of them for cases that still owe).
pub async fn serve(
    options: &DemoOptions,
    policy: PolicyKind,
    count: usize,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let out = options.out.join(policy.as_str());
    let config = demo_config(options, policy, &out)?;
    let store = crate::store::open(&config.database_url).await?;
    let end = world::epoch() + Duration::days(i64::from(options.days));
    let clock = Arc::new(ManualClock::new(end));
    let queue: Arc<dyn Queue> = Arc::new(NoBroker);
    let service = Service::assemble(&config, Arc::clone(&store), queue, clock.clone())?;
    let addr = service.bind_api().await?;
    let samples = pay_links(store.as_ref(), &out, &service.links, clock.now(), count).await?;
    println!("\nThe pay-page of the {} run is served on http://{addr} (Ctrl-C stops it).", policy.as_str());
    println!(
        "Its clock stands where the simulation ended ({}). Pay-links from the outbox:",
        end.format("%Y-%m-%d")
    );
    for sample in &samples {
        println!("  {}  ({}, {})", sample.url, sample.invoice_number, sample.state);
    }
    if samples.is_empty() {
        println!("  none found in {}: run the demo with more days or debtors", out.display());
    }
    let (trigger, shutdown) = crate::shutdown::channel();
    let mut roles = service.spawn(Role::Api, &shutdown);
    stop.await;
    trigger.trigger();
    while let Some(ended) = roles.join_next().await {
        if let Ok((name, Err(error))) = ended {
            tracing::warn!(role = %name, error = %format!("{error:#}"), "stopped with an error");
        }
    }
    Ok(())
}

/// Up to `count` distinct pay-links from the emails in `out/email` that still verify at `now`: most for cases that still owe, one for a paid case if there is one.
pub async fn pay_links(
    store: &dyn Store,
    out: &Path,
    links: &Links,
    now: DateTime<Utc>,
    count: usize,
) -> anyhow::Result<Vec<PayLinkSample>> {
    let mut emails: Vec<_> = match std::fs::read_dir(out.join("email")) {
        Ok(dir) => dir.filter_map(Result::ok).map(|entry| entry.path()).collect(),
        Err(_) => return Ok(Vec::new()),
    };
    emails.sort();
    emails.reverse();
    let (mut owing, mut paid) = (Vec::new(), None);
    let mut seen = std::collections::BTreeSet::new();
    for path in emails.into_iter().take(EMAILS_SCANNED) {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let text = text.replace("=\r\n", "");
        let Some(url) = first_pay_link(&text) else { continue };
        let token = url.rsplit('/').next().unwrap_or_default().to_owned();
        let Ok(claims) = links.verify(&token, now) else { continue };
        if claims.purpose != LinkPurpose::Pay || !seen.insert(claims.reminder_id) {
            continue;
        }
        let Some(case) = store.pay_case(&claims.tenant, claims.reminder_id).await? else { continue };
        let sample = PayLinkSample {
            url,
            invoice_number: case.invoice_number.to_string(),
            state: case.state.to_string(),
            asks_for_money: PayPages::asks_for_money(&case),
        };
        if sample.asks_for_money {
            if owing.iter().all(|s: &PayLinkSample| s.invoice_number != sample.invoice_number) {
                owing.push(sample);
            }
        } else if paid.is_none() {
            paid = Some(sample);
        }
        if owing.len() + 1 >= count && paid.is_some() {
            break;
        }
    }
    owing.truncate(count.saturating_sub(usize::from(paid.is_some())).max(1));
    owing.extend(paid);
    Ok(owing)
}

/// The first `…/pay/<token>` URL in an email's text.
fn first_pay_link(text: &str) -> Option<String> {
    let at = text.find("/pay/")?;
    let start = text[..at].rfind("http")?;
    let url: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(*c)).collect();
    url.contains("/pay/").then_some(url)
}
