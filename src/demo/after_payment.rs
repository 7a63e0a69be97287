//! The demo's after-payment path (`mahnwerk demo --recommend`), so that
//! `mahnwerk-train recommend-report` has a populated database to read: the simulated creditor's
//! catalogue (every product its invoices name), the tenant's recommender refitted every simulated
//! week, the post-payment hooks run after each payment, simulated debtors who open their pay-link
//! after paying, look at the thank-you view and follow some of the items' signed links (over
//! HTTP, through the API role, as a browser would), and the conversion scan once a simulated day.
//!
//! The simulated debtors' purchases do not depend on what was recommended to them, and their
//! clicks follow fixed rates ([`VIEW`], [`FOLLOW`]): the report's click-through reflects those
//! rates, and a conversion is a coincidence of a debtor's regular buying — a floor, not the
//! recommender's effect.

use crate::app::Service;
use crate::domain::TenantId;
use crate::hooks::conversions::record_conversions;
use crate::hooks::refit::refit_tenant;
use crate::hooks::Outcome;
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use mahnwerk_models::recommend::ValidRecommenderParams;
use mahnwerk_models::sim::{SimInvoice, SimRng};
use rand::Rng;
use std::collections::BTreeMap;

/// How likely a debtor who paid opens their pay-link again and sees the thank-you view.
pub const VIEW: f64 = 0.4;
/// How likely a debtor who sees the view follows the item at rank 1, 2, 3 and below.
pub const FOLLOW: [f64; 3] = [0.12, 0.07, 0.04];
/// How likely a debtor who followed an item follows it once more.
pub const AGAIN: f64 = 0.2;
/// How often the recommender is refitted, in simulated time.
const REFIT_EVERY_DAYS: i64 = 7;

/// What the after-payment path has done so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AfterPaymentTally {
    pub views: u64,
    pub clicks: u64,
    pub conversions: u64,
}

pub struct AfterPayment {
    tenant: TenantId,
    params: ValidRecommenderParams,
    /// The API role's address, `http://127.0.0.1:<port>`.
    api: String,
    http: reqwest::Client,
    rng: SimRng,
    last_refit: Option<DateTime<Utc>>,
    last_scan: Option<NaiveDate>,
    pub tally: AfterPaymentTally,
}

impl AfterPayment {
    /// Imports the catalogue of every product `invoices` name (at each one's median unit price)
    /// for `tenant`; `api` is where the API role answers.
    pub async fn start(
        service: &Service,
        tenant: &str,
        invoices: &[SimInvoice],
        api: String,
        rng: SimRng,
    ) -> anyhow::Result<Self> {
        let tenant = TenantId::parse(tenant).context("the demo tenant")?;
        crate::intake::catalogue::import(
            service.store.as_ref(),
            &tenant,
            &catalogue(invoices),
            service.clock.now(),
        )
        .await
        .context("importing the demo catalogue")?;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let params = service.recommend.params().context("the [recommend] parameters")?;
        Ok(Self {
            tenant,
            params,
            api,
            http,
            rng,
            last_refit: None,
            last_scan: None,
            tally: Default::default(),
        })
    }

    /// One moment of simulated time after intake applied its messages: refit when a week has
    /// passed, run the post-payment hooks until they are idle, let the debtors of `paid` (the
    /// invoice numbers paid just now) look at their thank-you view, and scan for conversions once
    /// a simulated day.
    pub async fn step(
        &mut self,
        service: &Service,
        now: DateTime<Utc>,
        paid: &[String],
    ) -> anyhow::Result<()> {
        let store = service.store.as_ref();
        if self.last_refit.is_none_or(|at| now - at >= Duration::days(REFIT_EVERY_DAYS)) {
            refit_tenant(store, &self.tenant, &self.params, now).await?;
            self.last_refit = Some(now);
        }
        let runner = service.hook_runner();
        while runner.try_execute_task().await? != Outcome::Idle {}
        for number in paid {
            if self.rng.gen_bool(VIEW) {
                self.look(service, number, now).await?;
            }
        }
        if self.last_scan != Some(now.date_naive()) {
            let found = record_conversions(store, service.recommend.conversion_window_days, now).await?;
            self.tally.conversions += found as u64;
            self.last_scan = Some(now.date_naive());
        }
        Ok(())
    }

    /// The debtor of invoice `number` opens the pay-link of its first reminder (none: nothing to
    /// open) and follows some of the recommended items' links.
    async fn look(&mut self, service: &Service, number: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let reminders = service.store.reminders_of(self.tenant.as_str(), number).await?;
        let Some(first) = reminders.first() else { return Ok(()) };
        let link = service.links.pay_url(&self.tenant, first.id, now);
        let link = link.replacen(service.links.base_url(), &self.api, 1);
        let page = self.http.get(&link).send().await?.error_for_status()?.text().await?;
        self.tally.views += 1;
        // minijinja writes `/` in attributes as `&#x2f;`, which a browser reads back as `/`.
        let page = page.replace("&#x2f;", "/");
        let hrefs: Vec<String> = page
            .split("href=\"/r/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(|token| format!("{}/r/{token}", self.api)))
            .collect();
        for (rank, href) in hrefs.iter().enumerate() {
            if !self.rng.gen_bool(FOLLOW[rank.min(FOLLOW.len() - 1)]) {
                continue;
            }
            let times = if self.rng.gen_bool(AGAIN) { 2 } else { 1 };
            for _ in 0..times {
                let answer = self.http.get(href).send().await?;
                anyhow::ensure!(
                    answer.status().as_u16() == 303,
                    "the click link answered {}",
                    answer.status()
                );
                self.tally.clicks += 1;
            }
        }
        Ok(())
    }
}

/// Every product `invoices` name, as `mahnwerk catalogue import` JSON lines: the description as
/// name, the median unit price, a link into a shop that does not exist.
fn catalogue(invoices: &[SimInvoice]) -> String {
    let mut products: BTreeMap<&str, (&str, Vec<i64>)> = BTreeMap::new();
    for line in invoices.iter().flat_map(|invoice| &invoice.lines) {
        let entry = products.entry(line.sku.as_str()).or_insert((line.description.as_str(), Vec::new()));
        entry.1.push(line.unit_price_cents);
    }
    products
        .into_iter()
        .map(|(sku, (name, mut prices))| {
            prices.sort_unstable();
            let cents = prices[prices.len() / 2].max(1);
            let item = serde_json::json!({
                "sku": sku, "name": name,
                "url": format!("https://shop.stadtwerke-musterstadt.example/{}", sku.to_lowercase()),
                "price": format!("{}.{:02}", cents / 100, cents % 100),
            });
            format!("{item}\n")
        })
        .collect()
}
