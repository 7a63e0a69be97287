//! The security check's world: two tenants, each with one debtor whose first reminder went out
//! by email, on a SQLite database of its own, and the API serving on a free port with every
//! webhook's secret configured. The intake, scheduler and delivery roles run until both
//! reminders are sent and are stopped before the checks, so that only the requests under test
//! can change the database.

use crate::app::{Role, Service};
use crate::config::http::MetaConfig;
use crate::config::stripe::StripeConfig;
use crate::config::{Config, PolicyKind};
use crate::domain::TenantId;
use crate::queue::{MemoryQueue, Message, Queue, Topology};
use crate::runtime::{Clock, ManualClock};
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use mahnwerk_models::sim::{Population, SimConfig};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The secrets the world's providers sign with (the attacker does not know them).
pub const TWILIO_TOKEN: &str = "twilio-auth-token-of-the-check";
pub const META_SECRET: &str = "meta-app-secret-of-the-check";
pub const PINGEN_SECRET: &str = "pingen-signing-key-of-the-check";
pub const STRIPE_SECRET: &str = "whsec_stripe_signing_secret_of_the_check";

/// One tenant's debtor and the reminder that went out to them.
#[derive(Debug, Clone)]
pub struct Dunned {
    pub tenant: TenantId,
    pub invoice_number: String,
    pub amount: String,
    pub phone: String,
    pub reminder_id: i64,
    pub sent_at: DateTime<Utc>,
}

pub struct World {
    pub database_url: String,
    pub clock: Arc<ManualClock>,
    pub service: Service,
    pub api: SocketAddr,
    pub acme: Dunned,
    pub globex: Dunned,
    stop_api: crate::shutdown::ShutdownTrigger,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn build() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("a folder for the check")?;
        let database_url = format!("sqlite://{}/security.sqlite", dir.path().display());
        let mut config = Config {
            database_url: database_url.clone(),
            namespace: "security".to_owned(),
            outbox_dir: dir.path().join("outbox"),
            policy: PolicyKind::Fixed,
            poll_interval_ms: 20,
            ..Config::default()
        };
        config.plans.push(super::super::bench_plan());
        config.links.secret = Some(SecretString::from(uuid::Uuid::new_v4().simple().to_string()));
        let secret = |text: &str| SecretString::from(text.to_owned());
        config.http.listen = "127.0.0.1:0".parse().expect("an address");
        config.meta = Some(MetaConfig { app_secret: secret(META_SECRET), verify_token: secret("verify") });
        config.stripe = Some(StripeConfig::new(secret("sk_test_check"), secret(STRIPE_SECRET)));
        let store = crate::store::open(&database_url).await?;
        let topology = Topology::new(config.namespace.clone());
        let queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new(topology.clone()));
        queue.declare_topology().await?;
        let clock = Arc::new(ManualClock::new(super::super::send_time()));
        let mut service = Service::assemble(&config, store, Arc::clone(&queue), clock.clone())?;
        service.twilio_auth_token = Some(secret(TWILIO_TOKEN));
        service.pingen_webhook_secret = Some(secret(PINGEN_SECRET));

        let (bodies, mut dunned) = invoices();
        let messages = bodies
            .into_iter()
            .map(|body| Message {
                routing_key: crate::intake::message::OVERDUE.into(),
                body,
                headers: Vec::new(),
                message_id: None,
                content_type: Some("application/json".into()),
            })
            .collect();
        queue.publish(&topology.intake_exchange(), messages).await?;
        let (trigger, shutdown) = crate::shutdown::channel();
        let mut roles = Vec::new();
        for role in [Role::Intake, Role::Scheduler, Role::Delivery] {
            roles.push(service.spawn(role, &shutdown));
        }
        let sent = wait_until_sent(&service, &mut dunned).await;
        trigger.trigger();
        for mut tasks in roles {
            while tasks.join_next().await.is_some() {}
        }
        sent?;

        let api = service.bind_api().await?;
        let (stop_api, shutdown) = crate::shutdown::channel();
        service.spawn(Role::Api, &shutdown).detach_all();
        let [acme, globex] = dunned;
        Ok(Self { database_url, clock, service, api, acme, globex, stop_api, _dir: dir })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.api)
    }

    pub fn stop(self) {
        self.stop_api.trigger();
    }
}

/// The two tenants' invoice messages, and what is known of them before they are sent.
fn invoices() -> (Vec<Vec<u8>>, [Dunned; 2]) {
    let population = Population::generate(
        11,
        &SimConfig { debtors: 2, invoices_per_debtor: (1, 1), ..SimConfig::default() },
    )
    .expect("a valid population");
    let invoices = population.invoices(11);
    let mut bodies = Vec::new();
    let mut dunned = Vec::new();
    for (i, tenant) in ["acme", "globex"].into_iter().enumerate() {
        let invoice = &invoices[i];
        let debtor = &population.debtors()[invoice.debtor_index];
        let mut message = crate::demo::world::invoice_message(tenant, debtor, invoice);
        let phone = format!("+4915112345{i:03}");
        message["invoice_number"] = serde_json::json!(format!("SEC-{i}"));
        message["plan"] = serde_json::json!(super::super::BENCH_PLAN);
        message["currency"] = serde_json::json!("EUR");
        message["debtor"]["timezone"] = serde_json::json!(super::super::BENCH_TIMEZONE);
        message["debtor"]["email"] = serde_json::json!(format!("debtor{i}@example.org"));
        message["debtor"]["phone"] = serde_json::json!(phone);
        message["debtor"]["whatsapp"] = serde_json::json!(phone);
        message["debtor"]["whatsapp_opt_in"] = serde_json::json!(true);
        dunned.push(Dunned {
            tenant: TenantId::parse(tenant).expect("a valid tenant"),
            invoice_number: format!("SEC-{i}"),
            amount: message["amount_due"].as_str().unwrap_or_default().to_owned(),
            phone,
            reminder_id: 0,
            sent_at: DateTime::<Utc>::MIN_UTC,
        });
        bodies.push(message.to_string().into_bytes());
    }
    let [acme, globex]: [Dunned; 2] = dunned.try_into().expect("two tenants");
    (bodies, [acme, globex])
}

/// Waits until both first reminders are sent, and notes their ids and send times.
async fn wait_until_sent(service: &Service, dunned: &mut [Dunned; 2]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    'waiting: loop {
        for one in dunned.iter_mut() {
            let reminders = service.store.reminders_of(one.tenant.as_str(), &one.invoice_number).await?;
            match reminders.first() {
                Some(reminder) if reminder.sent_at.is_some() => {
                    one.reminder_id = reminder.id;
                    one.sent_at = reminder.sent_at.unwrap_or(one.sent_at);
                }
                _ => {
                    if Instant::now() > deadline {
                        bail!("the first reminder of {} was not sent within a minute", one.invoice_number);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue 'waiting;
                }
            }
        }
        return Ok(());
    }
}
