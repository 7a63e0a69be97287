//! `mahnwerk demo`: a simulated population of debtors through the real pipeline on the embedded
//! default (SQLite, in-process queue, sandbox transports), in simulated time.
//!
//! The creditor's side is the simulator: invoices become overdue and are published as
//! `invoice.overdue` messages; every reminder that goes out is shown to the simulated debtor,
//! who may pay some hours later (or on their own, unprompted), and payments come back as
//! `invoice.paid` messages. In between, everything is the service itself: intake, scheduler,
//! dispatcher, channel workers, learner, store. Time jumps from one event to the next.
//!
//! It runs twice on the same population and invoices, once with the fixed schedule and once
//! with the adaptive policy learning as it goes, and reports the lift.

pub mod after_payment;
mod driver;
mod recording;
mod report;
mod serve;
pub mod world;

pub use serve::{pay_links, serve, PayLinkSample};

pub use report::{Comparison, Report};

use crate::config::{Config, PolicyKind};
use std::path::PathBuf;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub debtors: usize,
    pub days: u32,
    pub seed: u64,
    /// The outbox (what would have been sent) and the demo's database go here.
    pub out: PathBuf,
    pub progress: bool,
    /// The policies to run, each on the same population, into `out/<policy>/`.
    pub policies: Vec<PolicyKind>,
    /// The configuration the user gave (`--config`, `MAHNWERK_*`): its plans, creditors,
    /// templates and `[learn]` settings are used; the demo sets only its own database, outbox,
    /// in-process queue and sandbox transports (nothing real is ever contacted) and the policy.
    pub base: Config,
    /// Where `base` came from, for the report: a file's path, or the built-in defaults.
    pub configuration: String,
    /// Also run the after-payment path: catalogue, recommendations, simulated clicks on the
    /// thank-you view, conversions ([`after_payment`]); on-time invoices go in as
    /// `invoice.issued`. Off by default: the demo's figures are those of dunning alone.
    pub recommend: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            debtors: 2000,
            days: 365,
            seed: 42,
            out: PathBuf::from("outbox"),
            progress: true,
            policies: vec![PolicyKind::Fixed, PolicyKind::Adaptive],
            base: Config::default(),
            configuration: "built-in defaults".to_owned(),
            recommend: false,
        }
    }
}

/// Runs the demo once per policy and compares the runs.
pub async fn run(options: DemoOptions) -> anyhow::Result<Comparison> {
    let mut runs = Vec::new();
    for &policy in &options.policies {
        runs.push(driver::run(&options, policy, &options.out.join(policy.as_str())).await?);
    }
    Ok(Comparison {
        debtors: options.debtors,
        days: options.days,
        seed: options.seed,
        configuration: options.configuration.clone(),
        lambda: options.base.learn.lambda,
        earlier_stage_share: options.base.learn.earlier_stage_share,
        epsilon: options.base.learn.epsilon,
        default_arm_lead: options.base.learn.default_arm_lead,
        hour_step: options.base.learn.hour_step,
        runs,
    })
}
