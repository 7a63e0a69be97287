//! What a reminder email carries beyond its text, through the whole service: with
//! `[email] attach_letter` the DIN 5008 letter as a PDF (read back with pdftotext from what a
//! real SMTP server received), and with `[smtp.dkim]` a DKIM signature on the sandbox's `.eml`
//! files too, which verifies against the public key.

use crate::dkim;
use crate::mime;
use crate::smtp_sink;
use crate::support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Duration as Days;
use mahnwerk::app::Service;
use mahnwerk::config::{Config, EmailConfig, EmailTransport, PolicyKind, SmtpConfig, SmtpDkimConfig};
use mahnwerk::demo::world;
use mahnwerk::queue::{MemoryQueue, Message, Queue, Topology};
use mahnwerk::runtime::ManualClock;
use mahnwerk::store::{ReminderStatus, Store};
use smtp_sink::SmtpSink;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::malformed::valid;

struct World {
    store: Arc<dyn Store>,
    queue: Arc<MemoryQueue>,
    topology: Topology,
    clock: Arc<ManualClock>,
    service: Service,
    dir: tempfile::TempDir,
}

async fn world(configure: impl FnOnce(&mut Config)) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = mahnwerk::store::open(&format!("sqlite://{}/m.sqlite", dir.path().display())).await.unwrap();
    let topology = Topology::new("mahnwerk");
    let queue = Arc::new(MemoryQueue::new(topology.clone()));
    // The fixed schedule: the first stage goes by email.
    let mut config =
        Config { outbox_dir: dir.path().join("outbox"), policy: PolicyKind::Fixed, ..Config::default() };
    configure(&mut config);
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, Arc::clone(&store), queue.clone(), clock.clone()).unwrap();
    World { store, queue, topology, clock, service, dir }
}

impl World {
    /// One invoice in, its first reminder planned, and sent at its time.
    async fn first_reminder(&self) {
        let message = Message::new("invoice.overdue", valid(1).to_string().into_bytes());
        self.queue.publish(&self.topology.intake_exchange(), vec![message]).await.unwrap();
        self.settle().await;
        // Monday 12:00 UTC: the 10:00 local send time has come, its day's window still open.
        self.clock.advance(Days::hours(6));
        self.settle().await;
        let reminders = self.store.reminders_of("acme", "RE-000001").await.unwrap();
        assert_eq!((reminders[0].channel.as_str(), reminders[0].status), ("email", ReminderStatus::Sent));
    }

    async fn settle(&self) {
        let mut consumer = self.queue.consume(&self.topology.intake_queue(), 100).await.unwrap();
        let batch = self.queue.take_ready(&self.topology.intake_queue(), consumer.as_mut(), 100).await;
        self.service.intake().process_batch(&batch).await.unwrap();
        drop(consumer);
        let scheduler = self.service.scheduler();
        scheduler.plan_step().await.unwrap();
        scheduler.dispatch_step().await.unwrap();
        for worker in self.service.channel_workers() {
            let queue_name = self.topology.delivery_queue(worker.transport.kind().as_str());
            let mut consumer = self.queue.consume(&queue_name, 100).await.unwrap();
            let batch = self.queue.take_ready(&queue_name, consumer.as_mut(), 100).await;
            worker.process_batch(&batch).await.unwrap();
        }
    }

    /// The sandbox's one `.eml` file.
    fn eml(&self) -> String {
        let dir = self.dir.path().join("outbox/email");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        std::fs::read_to_string(files.remove(0)).unwrap()
    }
}

pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    match Command::new("pdftotext").args(["-layout", file.path().to_str().unwrap(), "-"]).output() {
        Ok(output) => Some(String::from_utf8(output.stdout).unwrap()),
        Err(_) => {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI needs poppler-utils (pdftotext)");
            eprintln!("skipped the text check: pdftotext not found, install poppler-utils");
            None
        }
    }
}

#[tokio::test]
async fn the_letter_pdf_rides_along_with_the_email_when_configured() {
    let sink = SmtpSink::start().await;
    let w = world(|config| {
        config.email_transport = EmailTransport::Smtp;
        config.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(sink.port()),
            security: Some("none".into()),
            username: None,
            password: None,
            timeout_secs: Some(5),
            dkim: None,
        });
        config.email = EmailConfig { attach_letter: true };
    })
    .await;
    w.first_reminder().await;

    let received = sink.wait_for(1, Duration::from_secs(5)).await;
    let message = mime::parse(&received[0].data);
    assert_eq!(message.mime_type(), "multipart/mixed");
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "the text and the letter");
    assert_eq!(parts[1].mime_type(), "application/pdf");
    let disposition = parts[1].decoded_header("Content-Disposition").unwrap();
    assert!(
        disposition.contains("attachment") && disposition.contains("Mahnung-RE-000001.pdf"),
        "{disposition}"
    );
    let pdf = parts[1].bytes();
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&pdf) else { return };
    for expected in ["RE-000001", "1.234,50 €", "Erika Mustermann", "Musterstr. 1"] {
        assert!(text.contains(expected), "{expected} missing from the letter:\n{text}");
    }
}

#[tokio::test]
async fn sandbox_emails_are_dkim_signed_when_a_key_is_configured_and_carry_no_letter_by_default() {
    let seed = [9u8; 32];
    let w = world(|config| {
        config.email_transport = EmailTransport::Sandbox;
        config.smtp = Some(SmtpConfig {
            host: "smtp.stadtwerke.example".into(),
            port: None,
            security: None,
            username: None,
            password: None,
            timeout_secs: None,
            dkim: Some(SmtpDkimConfig {
                domain: "stadtwerke.example".into(),
                selector: "mahn2026".into(),
                algorithm: Some("ed25519".into()),
                private_key: Some(STANDARD.encode(seed).into()),
                private_key_file: None,
            }),
        });
    })
    .await;
    w.first_reminder().await;

    let eml = w.eml();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let tags = dkim::verify(&eml, &key).expect("the sandbox's DKIM-Signature verifies");
    let tag = |name: &str| tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(tag("d").as_deref(), Some("stadtwerke.example"));
    assert_eq!(tag("s").as_deref(), Some("mahn2026"));
    assert!(!eml.contains("application/pdf"), "no letter unless [email] attach_letter");
    let other = world(|_| {}).await;
    other.first_reminder().await;
    assert!(!other.eml().contains("DKIM-Signature"), "no key, no signature");
}
