//! The demo's event loop: publish what the simulated creditor and debtors do, let the service's
//! roles work through it step by step, jump the clock to the next event.

use super::after_payment::{AfterPayment, AfterPaymentTally};
use super::recording::{parse_key, Recording, SendLog};
use super::report::{Report, Tally};
use super::{world, DemoOptions};
use crate::app::Service;
use crate::config::{Config, PolicyKind};
use crate::deliver::Creditor;
use crate::learn::{Learner, LearnerState};
use crate::queue::{Consumer, MemoryQueue, Message, Queue, Topology};
use crate::runtime::ManualClock;
use anyhow::Context;
use chrono::{DateTime, Duration, Timelike, Utc};
use mahnwerk_models::sim::{self, Population, Response, SimChannel, SimConfig};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

const TENANT: &str = "demo-stadtwerke";

/// A simulated event, ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// Paid on time: sent as `invoice.issued` (purchase history), with `--recommend` only.
    Issued {
        invoice: usize,
    },
    Overdue {
        invoice: usize,
    },
    Pays {
        invoice: usize,
    },
}

/// The learner writes a snapshot (and the scheduler reloads it) after this many outcomes, or
/// after a simulated day, whichever comes first.
const SNAPSHOT_EVERY: u64 = 100;

/// Runs the simulated population through the service with `policy`, writing into `out`.
pub async fn run(options: &DemoOptions, policy: PolicyKind, out: &Path) -> anyhow::Result<Report> {
    let started = std::time::Instant::now();
    prepare_out_dir(out)?;
    let mut config = demo_config(options, policy, out)?;
    if options.recommend {
        // The simulated debtors follow links over HTTP: the API on a free port of its own, and
        // no per-address limit, since all of them come from this one address.
        config.http.listen = "127.0.0.1:0".parse().context("a loopback address")?;
        config.pay.requests_per_minute_per_ip = u32::MAX;
    }
    let store = crate::store::open(&config.database_url).await?;
    let topology = Topology::new(config.namespace.clone());
    let memory = Arc::new(MemoryQueue::new(topology.clone()));
    memory.declare_topology().await?;
    let clock = Arc::new(ManualClock::new(world::epoch()));
    let mut service = Service::assemble(&config, Arc::clone(&store), memory.clone(), clock.clone())?;
    let log = SendLog::default();
    for (_, transport) in service.transports.clone().iter() {
        service.transports = service
            .transports
            .clone()
            .with(Arc::new(Recording { inner: Arc::clone(transport), log: log.clone() }));
    }

    let population =
        Population::generate(options.seed, &SimConfig { debtors: options.debtors, ..SimConfig::default() })
            .context("generating the population")?;
    let invoices = population.invoices(options.seed);
    let mut rng = sim::rng(options.seed ^ 0x5eed);
    let end = world::epoch() + Duration::days(i64::from(options.days));

    // The creditor's calendar: invoices not paid by their due day become overdue the next morning.
    let mut events: BTreeMap<(DateTime<Utc>, Event), ()> = BTreeMap::new();
    let mut tally = Tally::default();
    let mut overdue_quarter: HashMap<usize, usize> = HashMap::new();
    for (index, invoice) in invoices.iter().enumerate() {
        let debtor = &population.debtors()[invoice.debtor_index];
        let overdue_at = at_day(invoice.due_day + 1, 5);
        if overdue_at >= end {
            continue;
        }
        tally.invoices += 1;
        match population.model().unprompted_payment_day(debtor, invoice, &mut rng) {
            Some(0) => {
                tally.paid_on_time += 1;
                if options.recommend {
                    events.insert((at_day(invoice.issued_day, 5), Event::Issued { invoice: index }), ());
                }
            }
            unprompted => {
                let quarter = (4 * invoice.due_day as usize / options.days.max(1) as usize).min(3);
                tally.by_quarter[quarter].0 += 1;
                overdue_quarter.insert(index, quarter);
                events.insert((overdue_at, Event::Overdue { invoice: index }), ());
                if let Some(day) = unprompted {
                    events.insert((at_day(invoice.due_day + day, 12), Event::Pays { invoice: index }), ());
                }
            }
        }
    }

    let progress = options.progress.then(|| crate::progress::bar(u64::from(options.days), "simulated days"));
    let mut consumers = Consumers::open(memory.as_ref(), &topology).await?;
    let mut learning = match &service.adaptive {
        Some(_) => Some(Learning::start(&service, memory.as_ref(), &topology).await?),
        None => None,
    };
    let mut after_payment = if options.recommend {
        Some(AfterPaymentRun::start(&service, &invoices, options.seed).await?)
    } else {
        None
    };
    let mut case_of: HashMap<i64, usize> = HashMap::new();
    let mut paid: HashMap<usize, DateTime<Utc>> = HashMap::new();
    let mut now = world::epoch();
    loop {
        // Everything due by now, in time order.
        let due: Vec<(DateTime<Utc>, Event)> =
            events.range(..=(now, Event::Pays { invoice: usize::MAX })).map(|(k, _)| *k).collect();
        let mut messages = Vec::new();
        let mut arrived = Vec::new();
        let mut paid_now = Vec::new();
        for key in due {
            events.remove(&key);
            match key.1 {
                Event::Issued { invoice } => {
                    let sim_invoice = &invoices[invoice];
                    let debtor = &population.debtors()[sim_invoice.debtor_index];
                    messages.push(json_message(
                        "invoice.issued",
                        &world::invoice_message(TENANT, debtor, sim_invoice),
                    ));
                }
                Event::Overdue { invoice } => {
                    let sim_invoice = &invoices[invoice];
                    let debtor = &population.debtors()[sim_invoice.debtor_index];
                    messages.push(json_message(
                        "invoice.overdue",
                        &world::invoice_message(TENANT, debtor, sim_invoice),
                    ));
                    arrived.push(invoice);
                }
                Event::Pays { invoice } => {
                    if paid.contains_key(&invoice) {
                        continue;
                    }
                    paid.insert(invoice, key.0);
                    let number = &invoices[invoice].invoice_number;
                    messages.push(json_message("invoice.paid", &world::paid_message(TENANT, number, key.0)));
                    paid_now.push(number.clone());
                }
            }
        }
        if !messages.is_empty() {
            memory.publish(&topology.intake_exchange(), messages).await?;
        }
        consumers.drain_intake(memory.as_ref(), &service, &topology).await?;
        if let Some(run) = &mut after_payment {
            run.path.step(&service, now, &paid_now).await?;
        }
        for invoice in arrived {
            let number = &invoices[invoice].invoice_number;
            if let Some(case) = store.case_by_invoice(TENANT, number).await? {
                case_of.insert(case.case_id, invoice);
            }
        }
        loop {
            let outcome = service.scheduler().step().await?;
            consumers.drain_delivery(memory.as_ref(), &service, &topology).await?;
            if outcome.is_idle() {
                break;
            }
        }
        if let Some(learning) = &mut learning {
            learning.step(&service, memory.as_ref(), &topology, now).await?;
        }
        // The debtors read what was sent to them.
        for sent in log.take() {
            let Some((case_id, stage)) = parse_key(&sent.key) else { continue };
            let Some(&invoice) = case_of.get(&case_id) else { continue };
            let debtor = &population.debtors()[invoices[invoice].debtor_index];
            let local_hour = local_hour(now, &debtor.timezone);
            let channel: SimChannel = sent.channel.as_str().parse().context("channel names agree")?;
            let stage = (stage + 1).min(u32::from(sim::LAST_STAGE)) as u8;
            if let Response::Pays { after_hours } =
                population.model().respond(debtor, channel, local_hour, stage, &mut rng)
            {
                events.insert(
                    (now + Duration::seconds((after_hours * 3600.0) as i64), Event::Pays { invoice }),
                    (),
                );
            }
        }
        if let Some(bar) = &progress {
            bar.set_position(((now - world::epoch()).num_days().max(0) as u64).min(u64::from(options.days)));
        }
        if now >= end {
            break;
        }
        let next_event = events.keys().next().map(|(t, _)| *t);
        let next_due = store.next_due_at().await?;
        let next = [next_event, next_due, Some(end)].into_iter().flatten().min().unwrap_or(end);
        now = next.max(now + Duration::minutes(1)).min(end);
        clock.set(now);
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(run) = after_payment {
        let tally = run.stop().await?;
        eprintln!(
            "after payment ({policy:?}): {} thank-you views, {} clicks, {} conversions recorded",
            tally.views, tally.clicks, tally.conversions
        );
    }
    tally.paid = paid.len();
    for invoice in paid.keys() {
        if let Some(&quarter) = overdue_quarter.get(invoice) {
            tally.by_quarter[quarter].1 += 1;
        }
    }
    let invoice_due: HashMap<usize, chrono::NaiveDate> =
        paid.keys().map(|&i| (i, world::date_of(invoices[i].due_day))).collect();
    tally.days_to_pay = paid.iter().map(|(i, at)| (at.date_naive() - invoice_due[i]).num_days()).collect();
    let stats = store.stats().await?;
    let version = service.planner.policy_version().to_string();
    Ok(Report::new(options, policy, version, out, tally, stats, started.elapsed()))
}

/// Deletes what an earlier demo left in `out` (its database and outbox files), nothing else.
fn prepare_out_dir(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for name in [
        "demo.sqlite",
        "demo.sqlite-wal",
        "demo.sqlite-shm",
        "sms.jsonl",
        "whatsapp.jsonl",
        "messenger.jsonl",
        "letter.jsonl",
    ] {
        let _ = std::fs::remove_file(out.join(name));
    }
    let _ = std::fs::remove_dir_all(out.join("email"));
    let _ = std::fs::remove_dir_all(out.join("letters"));
    Ok(())
}

fn at_day(day: u32, hour_utc: i64) -> DateTime<Utc> {
    world::epoch() + Duration::days(i64::from(day)) + Duration::hours(hour_utc)
}

fn local_hour(now: DateTime<Utc>, timezone: &str) -> u8 {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).hour() as u8
}

fn json_message(routing_key: &str, body: &serde_json::Value) -> Message {
    Message {
        routing_key: routing_key.to_owned(),
        body: body.to_string().into_bytes(),
        headers: Vec::new(),
        message_id: None,
        content_type: Some("application/json".to_owned()),
    }
}

/// The learner role, stepped in simulated time: learns from every outcome event as it arrives,
/// writes a snapshot every [`SNAPSHOT_EVERY`] outcomes or simulated day, acks what the snapshot
/// holds, and has the scheduler's policy reload it — what the separate roles do in production.
struct Learning {
    learner: Learner,
    state: LearnerState,
    consumer: Box<dyn Consumer>,
    held: Vec<crate::queue::Delivery>,
    last_save: DateTime<Utc>,
}

impl Learning {
    async fn start(service: &Service, queue: &MemoryQueue, topology: &Topology) -> anyhow::Result<Self> {
        let learner = service.learner();
        let state = learner.load_state().await?;
        let consumer = queue.consume(&topology.learner_queue(), 0).await?;
        Ok(Self { learner, state, consumer, held: Vec::new(), last_save: world::epoch() })
    }

    async fn step(
        &mut self,
        service: &Service,
        queue: &MemoryQueue,
        topology: &Topology,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        loop {
            let batch = queue.take_ready(&topology.learner_queue(), self.consumer.as_mut(), 1000).await;
            if batch.is_empty() {
                break;
            }
            for delivery in batch {
                self.state.learn(&delivery);
                self.held.push(delivery);
            }
        }
        let due = self.state.unsaved >= SNAPSHOT_EVERY
            || (self.state.unsaved > 0 && now - self.last_save >= Duration::days(1));
        if due {
            self.learner.save(&mut self.state).await?;
            if let Some(last) = self.held.last() {
                last.ack(true).await?;
            }
            self.held.clear();
            self.last_save = now;
            if let Some(policy) = &service.adaptive {
                policy.reload_from(service.store.as_ref()).await?;
            }
        }
        Ok(())
    }
}

/// The demo's consumers of the in-process queues, drained step by step.
struct Consumers {
    intake: Box<dyn Consumer>,
    delivery: Vec<(String, Box<dyn Consumer>)>,
}

impl Consumers {
    async fn open(queue: &MemoryQueue, topology: &Topology) -> anyhow::Result<Self> {
        let intake = queue.consume(&topology.intake_queue(), 1000).await?;
        let mut delivery = Vec::new();
        for channel in crate::queue::CHANNELS {
            let name = topology.delivery_queue(channel);
            delivery.push((channel.to_owned(), queue.consume(&name, 1000).await?));
        }
        Ok(Self { intake, delivery })
    }

    async fn drain_intake(
        &mut self,
        queue: &MemoryQueue,
        service: &Service,
        topology: &Topology,
    ) -> anyhow::Result<()> {
        let intake = service.intake();
        loop {
            let batch = queue.take_ready(&topology.intake_queue(), self.intake.as_mut(), 500).await;
            if batch.is_empty() {
                return Ok(());
            }
            intake.process_batch(&batch).await?;
        }
    }

    async fn drain_delivery(
        &mut self,
        queue: &MemoryQueue,
        service: &Service,
        topology: &Topology,
    ) -> anyhow::Result<()> {
        let workers = service.channel_workers();
        for (channel, consumer) in &mut self.delivery {
            let Some(worker) = workers.iter().find(|w| w.transport.kind().as_str() == channel) else {
                continue;
            };
            loop {
                let batch = queue.take_ready(&topology.delivery_queue(channel), consumer.as_mut(), 200).await;
                if batch.is_empty() {
                    break;
                }
                worker.process_batch(&batch).await?;
            }
        }
        Ok(())
    }
}

/// The configuration a demo run of `policy` uses, writing into `out`: the user's, with the demo's
/// own database and outbox, the in-process queue, and sandbox transports only, whatever the
/// configuration names, so that nothing real is ever contacted.
pub(crate) fn demo_config(options: &DemoOptions, policy: PolicyKind, out: &Path) -> anyhow::Result<Config> {
    let creditor = Creditor {
        name: "Stadtwerke Musterstadt GmbH".into(),
        email: "forderungen@stadtwerke-musterstadt.example".into(),
        phone: Some("+49 30 1234567".into()),
        address_lines: vec!["Am Markt 1".into(), "10115 Berlin".into()],
        country: None,
        bank: Some(crate::deliver::CreditorBank {
            // The IBAN of the German banks' own examples: valid, and nobody's account.
            iban: "DE89370400440532013000".parse().context("the demo IBAN")?,
            bic: Some("COBADEFFXXX".parse().context("the demo BIC")?),
            account_holder: None,
        }),
        accent_colour: Some("#0b5c8a".into()),
        legal_footer: Some(
            "Stadtwerke Musterstadt GmbH · Amtsgericht Berlin HRB 12345 · USt-IdNr. DE123456789".into(),
        ),
        logo_url: None,
        legal: Default::default(),
        final_consequence: Default::default(),
        bookkeeping: Default::default(),
        thank_you_message: false,
        shop_webhook_url: None,
        shop_webhook_secret: None,
    };
    let mut config = options.base.clone();
    config.database_url = format!("sqlite://{}", out.join("demo.sqlite").display());
    config.outbox_dir = out.to_owned();
    config.amqp_url = None;
    config.email_transport = crate::config::EmailTransport::Sandbox;
    (config.smtp, config.twilio, config.whatsapp, config.messenger, config.pingen) =
        (None, None, None, None, None);
    config.creditors.entry(TENANT.to_owned()).or_insert(creditor);
    config.policy = policy;
    config.learn.seed = config.learn.seed.or(Some(options.seed));
    Ok(config)
}

/// The after-payment path of a `--recommend` run, with the API role its debtors click through.
struct AfterPaymentRun {
    path: AfterPayment,
    trigger: crate::shutdown::ShutdownTrigger,
    api: tokio::task::JoinSet<(String, anyhow::Result<()>)>,
}

impl AfterPaymentRun {
    async fn start(service: &Service, invoices: &[sim::SimInvoice], seed: u64) -> anyhow::Result<Self> {
        let addr = service.bind_api().await?;
        let (trigger, shutdown) = crate::shutdown::channel();
        let api = service.spawn(crate::app::Role::Api, &shutdown);
        let rng = sim::rng(seed ^ 0xc11c);
        let path = AfterPayment::start(service, TENANT, invoices, format!("http://{addr}"), rng).await?;
        Ok(Self { path, trigger, api })
    }

    /// Stops the API role; what the path did.
    async fn stop(mut self) -> anyhow::Result<AfterPaymentTally> {
        self.trigger.trigger();
        while let Some(ended) = self.api.join_next().await {
            let (name, result) = ended.context("the API role panicked")?;
            result.with_context(|| format!("role {name}"))?;
        }
        Ok(self.path.tally)
    }
}
