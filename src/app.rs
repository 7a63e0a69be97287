//! Wiring: from a [`Config`] to a running set of roles (intake, scheduler, one delivery worker
//! per channel, learner, API) sharing one store and one queue.

use crate::api::pay::PayRoutes;
use crate::api::{ApiState, BoundApi, HttpConfig, MetaConfig};
use crate::config::{Config, LearnConfig, PolicyKind};
use crate::deliver::{ChannelWorker, Creditors, Links, RetryPolicy, Templates, Transports};
use crate::domain::PlanBook;
use crate::intake::Intake;
use crate::learn::{AdaptivePolicy, Learner};
use crate::pay::page::{PayPages, PayTemplates};
use crate::pay::psp::stripe::StripeCheckout;
use crate::pay::psp::stripe_events::StripeWebhook;
use crate::pay::psp::Psp;
use crate::queue::{AmqpQueue, MemoryQueue, Queue, Topology};
use crate::runtime::Clock;
use crate::schedule::{FixedPolicy, Planner, Policy, Scheduler};
use crate::shutdown::Shutdown;
use crate::store::Store;
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;

/// Which roles a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    All,
    Intake,
    Scheduler,
    Delivery,
    /// The one process that learns from outcomes and writes policy snapshots.
    Learner,
    /// The HTTP server of receipt webhooks (`[http] listen`).
    Api,
    /// Refits the tenants' recommenders and runs the post-payment hooks (`[recommend]`).
    Recommender,
}

/// Everything the roles share.
#[derive(Clone)]
pub struct Service {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub topology: Topology,
    pub plans: Arc<PlanBook>,
    pub planner: Arc<Planner>,
    pub transports: Transports,
    pub creditors: Arc<Creditors>,
    /// Signs the pay and unsubscribe links of reminders (and verifies them on the pay-page).
    pub links: Arc<Links>,
    /// The shipped templates with the tenants' own over them, checked when loaded.
    pub templates: Arc<Templates>,
    /// The thank-you message's templates, the tenants' own over the shipped ones.
    pub thanks: Arc<crate::hooks::thanks::templates::ThanksTemplates>,
    /// The pay-page (templates checked when loaded, rules, rate limits).
    pub pay: Arc<PayRoutes>,
    pub clock: Arc<dyn Clock>,
    pub idle_poll: Duration,
    pub retry: RetryPolicy,
    /// The adaptive policy the planner uses, to be kept up to date; `None` with the fixed policy.
    pub adaptive: Option<Arc<AdaptivePolicy>>,
    pub learn: LearnConfig,
    /// `[recommend]`: the recommender role and the recommendation hook.
    pub recommend: crate::config::recommend::RecommendConfig,
    /// `[pay]`: promise and instalment rules.
    pub pay_config: crate::config::pay::PayConfig,
    pub catch_up: crate::schedule::CatchUpRules,
    /// How long a reminder may stay queued without a send result before it is dispatched again.
    pub redispatch_after: chrono::Duration,
    /// How many messages and body bytes the intake prefetches and applies at once
    /// (`[intake] max_in_flight_mib`).
    pub intake_limits: crate::queue::BatchLimits,
    pub http: HttpConfig,
    /// `[console]`: sessions and login throttling of the operator console.
    pub console: crate::config::console::ConsoleConfig,
    /// Secrets the API checks webhooks with.
    pub twilio_auth_token: Option<SecretString>,
    pub meta: Option<MetaConfig>,
    pub pingen_webhook_secret: Option<SecretString>,
    /// Stripe Checkout for the pay-page and Stripe's webhook endpoint (`[stripe]`); `None`: no
    /// card payments.
    pub stripe: Option<(Arc<dyn Psp>, Arc<StripeWebhook>)>,
    /// What the roles depend on and whether each answers (`/readyz`), and the sampled gauges.
    pub health: crate::observe::Health,
    /// `[observe] listen` is set: `/metrics` is served there, not on the API's public port.
    pub metrics_elsewhere: bool,
    /// The API bound ahead by [`Service::bind_api`], taken by the first `spawn` that runs it.
    bound_api: Arc<Mutex<Option<BoundApi>>>,
    /// The tenants' summaries the console's statistics are computed from, shared by every
    /// `api_state` and read anew by the `api` role.
    summaries: Arc<crate::api::console::summary::Summaries>,
}

impl Service {
    /// Opens the store (running migrations), connects the queue and declares its topology.
    pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::start_with_broker(config, clock, true, None).await
    }

    /// [`Service::start`] for the `api` role alone: it writes only to the database, so it does
    /// not connect to RabbitMQ and keeps serving while the broker is down.
    pub async fn start_without_broker(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::start_with_broker(config, clock, false, None).await
    }

    /// [`Service::start`] (or, without `broker`, [`Service::start_without_broker`]) telling
    /// `health` of the store and the broker as each comes up, so that `/readyz` can name what a
    /// role still waits for while it connects.
    pub async fn start_observed(
        config: &Config,
        clock: Arc<dyn Clock>,
        broker: bool,
        health: &crate::observe::Health,
    ) -> anyhow::Result<Self> {
        Self::start_with_broker(config, clock, broker, Some(health)).await
    }

    async fn start_with_broker(
        config: &Config,
        clock: Arc<dyn Clock>,
        broker: bool,
        health: Option<&crate::observe::Health>,
    ) -> anyhow::Result<Self> {
        let store = crate::store::open(&config.database_url).await.context("opening the database")?;
        if let Some(health) = health {
            health.attach_store(&store, &clock);
        }
        let topology = Topology::new(config.namespace.clone());
        let queue: Arc<dyn Queue> = match &config.amqp_url {
            Some(_) if !broker => Arc::new(crate::queue::NoBroker),
            Some(url) => Arc::new(
                AmqpQueue::connect(url.expose_secret(), topology.clone())
                    .await
                    .context("connecting to RabbitMQ")?,
            ),
            None => Arc::new(MemoryQueue::new(topology.clone())),
        };
        queue.declare_topology().await.context("declaring the queue topology")?;
        let mut service = Self::assemble(config, store, queue, clock)?;
        if let Some(health) = health {
            if broker {
                health.attach_queue(&service.queue, &service.topology);
            }
            service.health = health.clone();
        }
        Ok(service)
    }

    /// Builds the service around an already opened store and queue (tests, demo), with the
    /// policy the configuration names.
    pub fn assemble(
        config: &Config,
        store: Arc<dyn Store>,
        queue: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        match config.policy {
            PolicyKind::Fixed => {
                Self::assemble_with_policy(config, store, queue, clock, Arc::new(FixedPolicy))
            }
            PolicyKind::Adaptive => {
                let learn = &config.learn;
                let seed = learn.seed.unwrap_or_else(rand::random);
                let adaptive = Arc::new(
                    AdaptivePolicy::new(seed, learn.lambda, learn.costs_eur.clone())
                        .with_epsilon(learn.epsilon)
                        .with_default_arm_lead(learn.default_arm_lead)
                        .with_hour_step(learn.hour_step)
                        .with_earlier_stage_share(learn.earlier_stage_share),
                );
                let mut service = Self::assemble_with_policy(
                    config,
                    store,
                    queue,
                    clock,
                    adaptive.clone() as Arc<dyn Policy>,
                )?;
                service.adaptive = Some(adaptive);
                Ok(service)
            }
        }
    }

    pub fn assemble_with_policy(
        config: &Config,
        store: Arc<dyn Store>,
        queue: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
        policy: Arc<dyn Policy>,
    ) -> anyhow::Result<Self> {
        let plans = config.plan_book()?;
        let mut transports = Transports::sandbox(&config.outbox_dir);
        if let Some(settings) = config.smtp_settings()? {
            let smtp = mahnwerk_channels::email::SmtpEmail::new(&settings).context("configuring SMTP")?;
            transports = transports.with(Arc::new(smtp));
        }
        if let Some(dkim) = config.sandbox_dkim()? {
            let signer = mahnwerk_channels::email::DkimSigner::new(&dkim).context("smtp.dkim")?;
            let sandbox = mahnwerk_channels::email::SandboxEmail::new(&config.outbox_dir).with_dkim(signer);
            transports = transports.with(Arc::new(sandbox));
        }
        if let Some(twilio) = &config.twilio {
            let sms = mahnwerk_channels::sms::TwilioSms::new(twilio).context("configuring Twilio SMS")?;
            transports = transports.with(Arc::new(sms));
        }
        if let Some(whatsapp) = &config.whatsapp {
            let cloud = mahnwerk_channels::whatsapp::WhatsappCloud::new(whatsapp)
                .context("configuring the WhatsApp Cloud API")?
                .with_clock(window_clock(&clock));
            transports = transports.with(Arc::new(cloud));
        }
        if let Some(messenger) = &config.messenger {
            let send = mahnwerk_channels::messenger::MessengerSend::new(messenger)
                .context("configuring the Messenger Send API")?
                .with_clock(window_clock(&clock));
            transports = transports.with(Arc::new(send));
        }
        if let Some(pingen) = &config.pingen {
            let letters = mahnwerk_channels::letter::PingenLetters::new(pingen)
                .context("configuring Pingen letters")?;
            transports = transports.with(Arc::new(letters));
        }
        for (kind, limit) in &config.rate_limits {
            transports = transports.limit(*kind, *limit)?;
        }
        let creditors =
            Creditors { by_tenant: config.creditors.clone(), default_email: config.default_sender.clone() };
        let pay_templates = PayTemplates::load(config.templates_dir.as_deref())?;
        let pages = PayPages::new(pay_templates, creditors.clone(), &config.pay, config.stripe.is_some())?;
        // The card form redirects to the PSP's checkout page: the CSP's form-action allows it.
        let form_targets: Vec<String> = config.stripe.iter().map(|stripe| stripe.checkout_origin()).collect();
        let stripe = match &config.stripe {
            Some(stripe) => {
                let psp: Arc<dyn Psp> = Arc::new(StripeCheckout::new(stripe).context("configuring Stripe")?);
                let hold = config.pay.pending_hold();
                let law = config.laws();
                Some((psp, Arc::new(StripeWebhook::new(stripe, config.learn.attribution(), hold, law))))
            }
            None => None,
        };
        let topology = Topology::new(config.namespace.clone());
        let health = crate::observe::Health::new("in-process", true, false);
        health.attach_store(&store, &clock);
        health.attach_queue(&queue, &topology);
        Ok(Self {
            store,
            topology,
            health,
            metrics_elsewhere: config.observe.listen.is_some(),
            queue,
            planner: Arc::new(Planner::new(plans.clone(), policy)),
            plans: Arc::new(plans),
            transports,
            creditors: Arc::new(creditors),
            pay: Arc::new(PayRoutes::new(pages, &config.pay, &form_targets)),
            links: Arc::new(Links::new(&config.links)),
            templates: Arc::new(Templates::from_config(config)?),
            thanks: Arc::new(
                crate::hooks::thanks::templates::ThanksTemplates::load(config.templates_dir.as_deref())
                    .context("loading the thank-you templates")?,
            ),
            clock,
            idle_poll: Duration::from_millis(config.poll_interval_ms),
            retry: RetryPolicy::default(),
            adaptive: None,
            learn: config.learn.clone(),
            recommend: config.recommend.clone(),
            pay_config: config.pay.clone(),
            catch_up: config.schedule.catch_up_rules(),
            redispatch_after: config.schedule.redispatch_after(),
            intake_limits: crate::intake::batch_limits(config.intake.max_in_flight_bytes()),
            http: config.http.clone(),
            console: config.console.clone(),
            twilio_auth_token: config.twilio.as_ref().map(|t| t.auth_token.clone()),
            meta: config.meta.clone(),
            pingen_webhook_secret: config.pingen.as_ref().and_then(|p| p.webhook_secret.clone()),
            stripe,
            bound_api: Arc::default(),
            summaries: Arc::default(),
        })
    }

    pub fn api_state(&self) -> ApiState {
        ApiState {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            twilio_auth_token: self.twilio_auth_token.clone(),
            meta: self.meta.clone(),
            pingen_webhook_secret: self.pingen_webhook_secret.clone(),
            public_url: self.http.public_url.clone(),
            links: Arc::clone(&self.links),
            pay: Arc::clone(&self.pay),
            psp: self.stripe.as_ref().map(|(psp, _)| Arc::clone(psp)),
            stripe: self.stripe.as_ref().map(|(_, webhook)| Arc::clone(webhook)),
            console: Some(Arc::new(crate::api::console::ConsoleState {
                plans: Arc::clone(&self.plans),
                attribution: self.learn.attribution(),
                config: self.console.clone(),
                creditors: Arc::clone(&self.creditors),
                channel_costs: self.learn.costs_eur.clone(),
                planner: Arc::clone(&self.planner),
                templates: Arc::clone(&self.templates),
                summaries: Arc::clone(&self.summaries),
            })),
        }
    }

    /// Binds the API's address now (a busy port fails here, not in a task) and returns the
    /// address bound, e.g. the free port picked for `listen = "127.0.0.1:0"`.
    pub async fn bind_api(&self) -> anyhow::Result<SocketAddr> {
        let bound =
            BoundApi::bind(self.http.listen, self.api_state()).await?.with_routes(self.observe_routes());
        let addr = bound.local_addr();
        *self.bound_api.lock().expect("not poisoned") = Some(bound);
        Ok(addr)
    }

    /// `/readyz`, and `/metrics` unless `[observe] listen` serves it, for the API's server.
    fn observe_routes(&self) -> axum::Router {
        crate::observe::routes(self.health.clone(), !self.metrics_elsewhere)
    }

    pub fn intake(&self) -> Intake {
        Intake {
            store: Arc::clone(&self.store),
            queue: Arc::clone(&self.queue),
            topology: self.topology.clone(),
            plans: Arc::clone(&self.plans),
            clock: Arc::clone(&self.clock),
            attribution: self.learn.attribution(),
            settle: Arc::new(crate::pay::Settlement::new({
                let creditors = Arc::clone(&self.creditors);
                Arc::new(move |tenant: &crate::domain::TenantId| creditors.get(tenant.as_str()).law())
            })),
            limits: self.intake_limits,
        }
    }

    pub fn scheduler(&self) -> Scheduler {
        Scheduler {
            store: Arc::clone(&self.store),
            queue: Arc::clone(&self.queue),
            topology: self.topology.clone(),
            planner: Arc::clone(&self.planner),
            clock: Arc::clone(&self.clock),
            attribution: self.learn.attribution(),
            idle_poll: self.idle_poll,
            grace: self.pay_config.promise_rules(),
            catch_up: self.catch_up,
            redispatch_after: self.redispatch_after,
            law_of: {
                let creditors = Arc::clone(&self.creditors);
                Arc::new(move |tenant: &crate::domain::TenantId| creditors.get(tenant.as_str()).law())
            },
        }
    }

    pub fn channel_workers(&self) -> Vec<ChannelWorker> {
        self.transports
            .iter()
            .map(|(_, transport)| ChannelWorker {
                store: Arc::clone(&self.store),
                queue: Arc::clone(&self.queue),
                topology: self.topology.clone(),
                transport: Arc::clone(transport),
                creditors: Arc::clone(&self.creditors),
                templates: Arc::clone(&self.templates),
                links: Arc::clone(&self.links),
                clock: Arc::clone(&self.clock),
                retry: self.retry,
                redispatch_after: self.redispatch_after,
            })
            .collect()
    }

    pub fn learner(&self) -> Learner {
        Learner {
            store: Arc::clone(&self.store),
            queue: Arc::clone(&self.queue),
            topology: self.topology.clone(),
            clock: Arc::clone(&self.clock),
            settings: self.learn.clone(),
        }
    }

    /// The post-payment hooks, in this order: the recommendation hook (tenants in `[recommend]
    /// disabled_tenants` skip it inside), then the thank-you message (queued for tenants with
    /// `thank_you_message`, from what the first one stored), then the shop webhook (queued for
    /// tenants with a `shop_webhook_url`, the same body as `recommendation.created`).
    pub fn hook_runner(&self) -> crate::hooks::HookRunner {
        let recommendation = crate::hooks::recommendation::RecommendationHook::new(self.recommend.clone());
        let thanks = crate::hooks::thanks::ThankYouHook::new(Arc::clone(&self.creditors));
        let shop = crate::hooks::shop::ShopWebhookHook::new(Arc::clone(&self.creditors));
        crate::hooks::HookRunner {
            store: Arc::clone(&self.store),
            hooks: vec![Arc::new(recommendation), Arc::new(thanks), Arc::new(shop)],
            clock: Arc::clone(&self.clock),
        }
    }

    /// The sender of the queued shop webhooks.
    pub fn shop_webhook_sender(&self) -> anyhow::Result<crate::hooks::shop::sender::ShopWebhookSender> {
        crate::hooks::shop::sender::ShopWebhookSender::new(
            Arc::clone(&self.store),
            Arc::clone(&self.creditors),
            Arc::clone(&self.clock),
        )
    }

    /// The sender of the queued thank-you messages, over the reminders' transports.
    pub fn thank_you_sender(&self) -> crate::hooks::thanks::sender::ThankYouSender {
        crate::hooks::thanks::sender::ThankYouSender {
            store: Arc::clone(&self.store),
            transports: self.transports.clone(),
            creditors: Arc::clone(&self.creditors),
            templates: Arc::clone(&self.thanks),
            links: Arc::clone(&self.links),
            clock: Arc::clone(&self.clock),
            retry: self.retry,
        }
    }

    /// Spawns the roles; each task ends with its role's name and result.
    pub fn spawn(&self, role: Role, shutdown: &Shutdown) -> JoinSet<(String, anyhow::Result<()>)> {
        let mut tasks = JoinSet::new();
        if matches!(role, Role::All | Role::Intake) {
            let intake = self.intake();
            let stop = shutdown.clone();
            tasks.spawn(async move { ("intake".to_owned(), intake.run(stop).await) });
        }
        if matches!(role, Role::All | Role::Scheduler) {
            let scheduler = self.scheduler();
            let stop = shutdown.clone();
            tasks.spawn(async move { ("scheduler".to_owned(), scheduler.run(stop).await) });
            if let Some(policy) = &self.adaptive {
                let (policy, store, stop) = (Arc::clone(policy), Arc::clone(&self.store), shutdown.clone());
                let every = Duration::from_secs(self.learn.reload_secs);
                tasks.spawn(async move {
                    crate::learn::policy::keep_reloading(policy, store, every, stop).await;
                    ("policy reload".to_owned(), Ok(()))
                });
            }
        }
        if matches!(role, Role::All | Role::Learner) {
            let learner = self.learner();
            let stop = shutdown.clone();
            tasks.spawn(async move { ("learner".to_owned(), learner.run(stop).await) });
        }
        if matches!(role, Role::All | Role::Api) {
            let prebound = self.bound_api.lock().expect("not poisoned").take();
            let (listen, state, stop) = (self.http.listen, self.api_state(), shutdown.clone());
            let observe = self.observe_routes();
            tasks.spawn(async move {
                let api = match prebound {
                    Some(api) => Ok(api),
                    None => BoundApi::bind(listen, state).await.map(|api| api.with_routes(observe)),
                };
                ("api".to_owned(), async move { api?.run(stop).await }.await)
            });
            let (summaries, store) = (Arc::clone(&self.summaries), Arc::clone(&self.store));
            let (clock, every, stop) =
                (Arc::clone(&self.clock), self.console.summary_refresh(), shutdown.clone());
            let ahead = self.console.summaries_at_start;
            tasks.spawn(async move {
                crate::api::console::summary::keep_refreshing(summaries, store, clock, every, ahead, stop)
                    .await;
                ("console summaries".to_owned(), Ok(()))
            });
        }
        let recommender = matches!(role, Role::Recommender) || (role == Role::All && self.recommend.enabled);
        if recommender {
            let (runner, stop) = (self.hook_runner(), shutdown.clone());
            let poll = Duration::from_millis(self.recommend.poll_ms);
            tasks.spawn(async move {
                ("hooks".to_owned(), crate::hooks::role::run_hooks(runner, poll, stop).await)
            });
            let (sender, stop) = (self.thank_you_sender(), shutdown.clone());
            tasks.spawn(async move { ("thank-you sender".to_owned(), sender.run(poll, stop).await) });
            let (shop, stop) = (self.shop_webhook_sender(), shutdown.clone());
            tasks.spawn(async move {
                let ran = async move { shop?.run(poll, stop).await };
                ("shop webhook sender".to_owned(), ran.await)
            });
            let (store, clock) = (Arc::clone(&self.store), Arc::clone(&self.clock));
            let (config, stop) = (self.recommend.clone(), shutdown.clone());
            tasks.spawn(async move {
                ("recommender".to_owned(), crate::hooks::role::run_refits(store, clock, config, stop).await)
            });
            let (store, clock) = (Arc::clone(&self.store), Arc::clone(&self.clock));
            let (config, stop) = (self.recommend.clone(), shutdown.clone());
            tasks.spawn(async move {
                let ran = crate::hooks::role::run_conversions(store, clock, config, stop).await;
                ("conversions".to_owned(), ran)
            });
        }
        if matches!(role, Role::All | Role::Delivery) {
            for worker in self.channel_workers() {
                let stop = shutdown.clone();
                let name = format!("delivery/{}", worker.transport.kind());
                tasks.spawn(async move { (name, worker.run(stop).await) });
            }
        }
        tasks
    }
}

/// The service's clock as the chat transports read it for their 24-hour windows, so that a
/// simulated clock and the inbound times recorded under it agree.
fn window_clock(clock: &Arc<dyn Clock>) -> mahnwerk_channels::WindowClock {
    let clock = Arc::clone(clock);
    mahnwerk_channels::WindowClock::from_fn(move || clock.now())
}
