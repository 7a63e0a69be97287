//! The consent ledger and provider reports on every backend: consent events for a debtor or for
//! everyone with a contact, intake's WhatsApp opt-in claims against later STOPs, the consent in
//! force as the planner and the delivery worker read it, receipts that only move forward, and
//! the debtors' inbound times.

use super::*;
use mahnwerk::domain::{ConsentKind, ConsentSource, Consents};
use mahnwerk::store::{
    ConsentEvent, ConsentSubject, Inbound, ProviderReport, Receipt, ReceiptStatus, ReceiptTarget,
};

const PHONE: &str = "+4915112345678";

fn consent(
    subject: ConsentSubject,
    channel: ChannelKind,
    kind: ConsentKind,
    at: DateTime<Utc>,
) -> ConsentEvent {
    ConsentEvent {
        subject,
        channel,
        kind,
        at,
        source: ConsentSource::SmsKeyword,
        detail: Some("STOP".into()),
        provider_event_id: None,
    }
}

/// The consent ledger of the debtor `id`, as the store reads it for the debtor's data export.
async fn ledger(store: &Arc<dyn Store>, id: &str) -> Vec<mahnwerk::store::debtor_data::ConsentEvent> {
    let mut tx = store.begin().await.unwrap();
    let events = tx.consent_ledger(&tenant(), &DebtorId::parse(id).unwrap()).await.unwrap();
    tx.rollback().await.unwrap();
    events
}

fn of_debtor(id: &str) -> ConsentSubject {
    ConsentSubject::Debtor { tenant: tenant(), debtor: DebtorId::parse(id).unwrap() }
}

/// The consents the planner sees for each due case, by invoice number (nothing is planned).
async fn planned_consents(store: &Arc<dyn Store>, now: DateTime<Utc>) -> BTreeMap<String, Consents> {
    let seen = Mutex::new(BTreeMap::new());
    let decide = |case: &DueCase| {
        seen.lock().unwrap().insert(case.invoice_number.to_string(), case.consents.clone());
        CaseDecision::Wait { until: case_due_again(now) }
    };
    plan(store, now, &decide).await;
    seen.into_inner().unwrap()
}

/// Cases told to wait stay due at `now` for the next look.
fn case_due_again(now: DateTime<Utc>) -> DateTime<Utc> {
    now
}

fn with_opt_in(number: &str, debtor_id: &str, opt_in: bool) -> Invoice {
    let mut d = debtor(debtor_id);
    d.whatsapp_opt_in = opt_in;
    invoice_for(number, d, eur("10.00"))
}

pub(super) async fn suite_consents(store: Arc<dyn Store>, raw: Raw) {
    use ChannelKind::{Email, Sms, Whatsapp};
    use ConsentKind::{OptIn, OptOut};
    // Two debtors share one phone number; intake says both opted in to WhatsApp.
    intake(&store, &[overdue(&invoice_for("RE-1", debtor("C-1"), eur("10.00")), t0())]).await;
    intake(&store, &[overdue(&invoice_for("RE-2", debtor("C-2"), eur("10.00")), t0())]).await;
    let seen = planned_consents(&store, t0()).await;
    assert_eq!(seen["RE-1"].latest(Whatsapp), Some(OptIn), "intake recorded the opt-in");
    assert_eq!(seen["RE-1"].latest(Sms), None);

    // A STOP from the phone number: an opt-out for every debtor with it.
    let stop = consent(ConsentSubject::Contact(PHONE.into()), Sms, OptOut, t0() + hours(1));
    assert_eq!(store.record_consent(&stop).await.unwrap(), 2);
    let unknown = consent(ConsentSubject::Contact("+4930000000".into()), Sms, OptOut, t0() + hours(1));
    assert_eq!(store.record_consent(&unknown).await.unwrap(), 0, "an unknown number names nobody");
    // An unsubscribe of one debtor's email touches only that debtor.
    let unsubscribe = consent(of_debtor("C-2"), Email, OptOut, t0() + hours(1));
    assert_eq!(store.record_consent(&unsubscribe).await.unwrap(), 1);
    let seen = planned_consents(&store, t0() + hours(1)).await;
    for number in ["RE-1", "RE-2"] {
        assert!(!seen[number].permits(Sms), "{number}: {:?}", seen[number]);
    }
    assert!(seen["RE-1"].permits(Email) && !seen["RE-2"].permits(Email));

    // WhatsApp blocked, then new invoices repeating the creditor's old claim: the block holds.
    let block = ConsentEvent {
        source: ConsentSource::WhatsappBlock,
        ..consent(ConsentSubject::Contact(PHONE.into()), Whatsapp, OptOut, t0() + hours(3))
    };
    assert_eq!(store.record_consent(&block).await.unwrap(), 2);
    intake(&store, &[overdue(&with_opt_in("RE-3", "C-1", true), t0() + hours(4))]).await;
    let seen = planned_consents(&store, t0() + hours(4)).await;
    assert!(!seen["RE-3"].permits(Whatsapp), "a repeated claim does not undo a block: {:?}", seen["RE-3"]);
    assert!(!seen["RE-3"].permits(Sms));
    // The creditor withdraws its claim and makes it again: that is a new opt-in.
    intake(&store, &[overdue(&with_opt_in("RE-4", "C-1", false), t0() + hours(5))]).await;
    intake(&store, &[overdue(&with_opt_in("RE-5", "C-1", true), t0() + hours(6))]).await;
    let seen = planned_consents(&store, t0() + hours(6)).await;
    assert!(seen["RE-5"].permits(Whatsapp), "{:?}", seen["RE-5"]);
    assert!(!seen["RE-2"].permits(Whatsapp), "C-2 stays blocked");
    // A START: SMS again, for both debtors of the number.
    let start = consent(ConsentSubject::Contact(PHONE.into()), Sms, OptIn, t0() + hours(7));
    assert_eq!(store.record_consent(&start).await.unwrap(), 2);
    // An event dated before the START (arriving late) does not override it.
    let late = consent(ConsentSubject::Contact(PHONE.into()), Sms, OptOut, t0() + hours(6));
    store.record_consent(&late).await.unwrap();
    let seen = planned_consents(&store, t0() + hours(7)).await;
    assert!(seen["RE-1"].permits(Sms) && seen["RE-2"].permits(Sms), "{seen:?}");

    // The ledger only grew: C-1's whatsapp rows are opt_in (RE-1), opt_out (block), opt_out
    // (RE-4's withdrawn claim), opt_in (RE-5); RE-3's repeated claim wrote nothing.
    let c1 = ledger(&store, "C-1").await;
    let whatsapp: Vec<String> =
        c1.iter().filter(|e| e.channel == "whatsapp").map(|e| format!("{}:{}", e.kind, e.source)).collect();
    assert_eq!(whatsapp, ["opt_in:intake", "opt_out:whatsapp_block", "opt_out:intake", "opt_in:intake"]);
    assert_eq!(c1.len() + ledger(&store, "C-2").await.len(), 13, "the two debtors' whole ledger");

    // The delivery worker reads the consent in force when it sends.
    let now = t0() + hours(8);
    let decide = |case: &DueCase| match case.invoice_number.as_str() {
        "RE-1" => CaseDecision::Remind(new_reminder(case, Sms, now + hours(1), now + hours(24))),
        _ => CaseDecision::Wait { until: now + hours(24) },
    };
    plan(&store, now, &decide).await;
    let ids = vec![reminders(&store, "RE-1").await.remove(0).id];
    let stop_again = consent(ConsentSubject::Contact(PHONE.into()), Sms, OptOut, t0() + hours(8));
    store.record_consent(&stop_again).await.unwrap();
    let job = store.delivery_jobs(&ids).await.unwrap().remove(0);
    assert_eq!(job.consents.refusal(Sms).as_deref(), Some("the debtor opted out of sms"));
    assert_eq!(
        job.issued_on,
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        "the letter prints the invoice date"
    );

    let json = serde_json::to_value(store.stats().await.unwrap()).unwrap();
    assert_eq!(json["consents"]["sms"], serde_json::json!({"opt_in": 0, "opt_out": 2}), "{json}");
    assert_eq!(json["consents"]["whatsapp"], serde_json::json!({"opt_in": 1, "opt_out": 1}), "{json}");
    assert_eq!(json["consents"]["email"], serde_json::json!({"opt_in": 0, "opt_out": 1}), "{json}");

    // The consent in force is kept beside the ledger; the migration that made it so reads it
    // from a ledger written before: the same consents, the same counts.
    let before = store.delivery_jobs(&ids).await.unwrap().remove(0).consents;
    raw.raw_execute("DROP TABLE consent_state").await;
    raw.raw_execute(match raw.backend {
        db::Backend::Postgres => {
            include_str!("../../../src/store/migrations/postgres/0020_consent_state.sql")
        }
        db::Backend::Sqlite => include_str!("../../../src/store/migrations/sqlite/0019_consent_state.sql"),
    })
    .await;
    assert_eq!(store.delivery_jobs(&ids).await.unwrap().remove(0).consents, before);
    assert_eq!(serde_json::to_value(store.stats().await.unwrap()).unwrap()["consents"], json["consents"]);
}

/// A retried webhook records its consent event once; the migration that made it so keeps the
/// newest of each group of duplicates recorded before.
pub(super) async fn suite_consents_once(store: Arc<dyn Store>, raw: Raw) {
    use ChannelKind::{Email, Sms};
    use ConsentKind::OptOut;
    intake(&store, &[overdue(&invoice_for("RE-1", debtor("C-1"), eur("10.00")), t0())]).await;
    intake(&store, &[overdue(&invoice_for("RE-2", debtor("C-2"), eur("10.00")), t0())]).await;
    let stop = consent(ConsentSubject::Contact(PHONE.into()), Sms, OptOut, t0() + hours(1));
    assert_eq!(store.record_consent(&stop).await.unwrap(), 2);
    assert_eq!(store.record_consent(&stop).await.unwrap(), 0, "the same STOP again");
    let unsubscribe = ConsentEvent {
        source: ConsentSource::EmailUnsubscribe,
        ..consent(of_debtor("C-2"), Email, OptOut, t0() + hours(1))
    };
    assert_eq!(store.record_consent(&unsubscribe).await.unwrap(), 1);
    let retried = ProviderReport { consents: vec![unsubscribe.clone(), stop.clone()], ..Default::default() };
    assert_eq!(store.record_provider_report(&retried).await.unwrap().consents, 0);
    // The same kind again while it is in force (a second STOP, a replayed link) changes nothing
    // and writes nothing, whatever its time or source.
    let again = consent(ConsentSubject::Contact(PHONE.into()), Sms, OptOut, t0() + hours(2));
    assert_eq!(store.record_consent(&again).await.unwrap(), 0);
    let by_link = ConsentEvent { source: ConsentSource::EmailUnsubscribe, ..again.clone() };
    assert_eq!(store.record_consent(&by_link).await.unwrap(), 0);
    let count = "SELECT COUNT(*) FROM consents WHERE channel IN ('sms', 'email')";
    assert_eq!(raw.raw_count(count).await, 3);

    // Duplicates from before the unique index: the migration removes them, keeping the newest.
    raw.raw_execute("DROP INDEX consents_once").await;
    raw.raw_execute(
        "INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at) \
         SELECT tenant, debtor_id, channel, kind, at, source, 'the retry', recorded_at FROM consents \
         WHERE channel IN ('sms', 'email')",
    )
    .await;
    assert_eq!(raw.raw_count(count).await, 6);
    raw.raw_execute(match raw.backend {
        db::Backend::Postgres => {
            include_str!("../../../src/store/migrations/postgres/0007_consents_once.sql")
        }
        db::Backend::Sqlite => include_str!("../../../src/store/migrations/sqlite/0006_consents_once.sql"),
    })
    .await;
    assert_eq!(raw.raw_count(count).await, 3);
    assert_eq!(
        raw.raw_strings("SELECT DISTINCT detail FROM consents WHERE channel IN ('sms', 'email')").await,
        ["the retry"],
        "the newest of each group is kept"
    );
    let seen = planned_consents(&store, t0() + hours(3)).await;
    assert!(!seen["RE-1"].permits(Sms) && !seen["RE-2"].permits(Email), "{seen:?}");
    // C-2 opts in to email again; the unsubscribe retried after it is not in force, so only the
    // index keeps it from being written twice.
    let email_again = consent(of_debtor("C-2"), Email, ConsentKind::OptIn, t0() + hours(3));
    assert_eq!(store.record_consent(&email_again).await.unwrap(), 1);
    assert_eq!(store.record_consent(&unsubscribe).await.unwrap(), 0, "the index is back");

    // A provider message carries no time of its own (Twilio's inbound SMS): it is stamped on
    // receipt, and a replayed START would otherwise be a new, later event that undoes the STOP
    // after it. By the message's id it is the same event, recorded once.
    let by_message = |kind, at, id: &str| ConsentEvent {
        provider_event_id: Some(id.into()),
        ..consent(ConsentSubject::Contact(PHONE.into()), Sms, kind, at)
    };
    let start = by_message(ConsentKind::OptIn, t0() + hours(4), "SM-start");
    assert_eq!(store.record_consent(&start).await.unwrap(), 2);
    let stop_later = by_message(OptOut, t0() + hours(5), "SM-stop");
    assert_eq!(store.record_consent(&stop_later).await.unwrap(), 2);
    let replayed = by_message(ConsentKind::OptIn, t0() + hours(6), "SM-start");
    assert_eq!(store.record_consent(&replayed).await.unwrap(), 0, "a replayed START writes nothing");
    let seen = planned_consents(&store, t0() + hours(7)).await;
    assert!(!seen["RE-1"].permits(Sms), "the STOP after it is still in force: {seen:?}");
}

/// An inbound SMS is recorded once by its `MessageSid`: Twilio dates nothing, the API stamps the
/// time of receipt, and a captured signed request replayed later moves neither the contact's
/// last inbound time nor its consent. A new message from the same number still does.
pub(super) async fn suite_inbound_once(store: Arc<dyn Store>, raw: Raw) {
    use ConsentKind::{OptIn, OptOut};
    intake(&store, &[overdue(&invoice_for("RE-1", debtor("C-1"), eur("10.00")), t0())]).await;
    intake(&store, &[overdue(&invoice_for("RE-2", debtor("C-2"), eur("10.00")), t0())]).await;
    let sms = |id: &str, kind, at| ProviderReport {
        inbound: vec![Inbound {
            channel: ChannelKind::Sms,
            contact: PHONE.into(),
            at,
            message_id: Some(id.into()),
        }],
        consents: vec![ConsentEvent {
            provider_event_id: Some(id.into()),
            ..consent(ConsentSubject::Contact(PHONE.into()), ChannelKind::Sms, kind, at)
        }],
        ..ProviderReport::default()
    };
    // What a replay could move: each debtor's last inbound time on SMS, as the database holds it.
    let last_inbound = || {
        raw.raw_strings(
            "SELECT debtor_id || ' ' || CAST(last_at AS TEXT) FROM inbound_contacts WHERE channel = 'sms' \
             ORDER BY debtor_id",
        )
    };
    let start = store.record_provider_report(&sms("SM-start", OptIn, t0() + hours(1))).await.unwrap();
    assert_eq!((start.inbound, start.consents), (2, 2), "both debtors of the number");
    let stop = store.record_provider_report(&sms("SM-stop", OptOut, t0() + hours(2))).await.unwrap();
    assert_eq!((stop.inbound, stop.consents), (2, 2));
    let (times, ledger_rows) =
        (last_inbound().await, raw.raw_count("SELECT COUNT(*) FROM consents WHERE channel = 'sms'").await);
    assert_eq!(times.len(), 2, "{times:?}");

    // The captured START, replayed an hour later: nothing moves, nothing is written.
    let replayed = store.record_provider_report(&sms("SM-start", OptIn, t0() + hours(3))).await.unwrap();
    assert_eq!(replayed, Default::default(), "a replay changes nothing");
    assert_eq!(last_inbound().await, times, "the last inbound time is still the STOP's");
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM consents WHERE channel = 'sms'").await, ledger_rows);
    let seen = planned_consents(&store, t0() + hours(4)).await;
    assert!(!seen["RE-1"].permits(ChannelKind::Sms), "the STOP is still in force: {seen:?}");

    // A new message from the number is a new message.
    let again = store.record_provider_report(&sms("SM-start-2", OptIn, t0() + hours(5))).await.unwrap();
    assert_eq!((again.inbound, again.consents), (2, 2));
    assert_ne!(last_inbound().await, times, "a new message moves the last inbound time");
    let seen = planned_consents(&store, t0() + hours(5)).await;
    assert!(seen["RE-1"].permits(ChannelKind::Sms) && seen["RE-2"].permits(ChannelKind::Sms), "{seen:?}");
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM inbound_messages").await, 3);
}

fn receipt(id: &str, status: ReceiptStatus, at: DateTime<Utc>) -> ProviderReport {
    ProviderReport {
        receipts: vec![Receipt {
            channel: ChannelKind::Sms,
            target: ReceiptTarget::ProviderId(id.into()),
            status,
            at,
            error: None,
            unreachable: false,
        }],
        ..ProviderReport::default()
    }
}

async fn receipt_of(store: &Arc<dyn Store>, number: &str) -> (Option<ReceiptStatus>, Option<DateTime<Utc>>) {
    let view = reminders(store, number).await.remove(0);
    (view.receipt_status, view.receipt_at)
}

pub(super) async fn suite_receipts(store: Arc<dyn Store>, _raw: Raw) {
    use ReceiptStatus::{Delivered, Failed, Read, Sent};
    let mut chat = debtor("C-3");
    chat.messenger_psid = Some("psid-3".into());
    intake(
        &store,
        &[
            overdue(&invoice("RE-1"), t0()),
            overdue(&invoice("RE-2"), t0()),
            overdue(&invoice_for("RE-3", chat, eur("10.00")), t0()),
        ],
    )
    .await;
    let ids = plan_reminders(
        &store,
        t0(),
        &[
            ("RE-1", ChannelKind::Sms, t0() + hours(1)),
            ("RE-2", ChannelKind::Sms, t0() + hours(1)),
            ("RE-3", ChannelKind::Messenger, t0() + hours(1)),
        ],
    )
    .await;
    send(&store, t0() + hours(1), &ids).await;
    let (one, two) = (format!("provider-{}", ids[0]), format!("provider-{}", ids[1]));

    let record = |report: ProviderReport| {
        let store = Arc::clone(&store);
        async move { store.record_provider_report(&report).await.unwrap() }
    };
    assert_eq!(record(receipt(&one, Sent, t0() + hours(2))).await.receipts, 1);
    assert_eq!(record(receipt(&one, Delivered, t0() + hours(3))).await.receipts, 1);
    assert_eq!(receipt_of(&store, "RE-1").await, (Some(Delivered), Some(t0() + hours(3))));
    assert_eq!(record(receipt(&one, Read, t0() + hours(4))).await.receipts, 1);
    // Late and repeated receipts do not move it back.
    for late in [Delivered, Sent, Failed, Read] {
        assert_eq!(record(receipt(&one, late, t0() + hours(5))).await.receipts, 0, "{late:?}");
    }
    assert_eq!(receipt_of(&store, "RE-1").await, (Some(Read), Some(t0() + hours(4))));
    // A failure is kept with its code; unknown ids and other channels' ids match nothing.
    let mut failed = receipt(&two, Failed, t0() + hours(2));
    failed.receipts[0].error = Some("30003".into());
    assert_eq!(record(failed).await.receipts, 1);
    let mut views = Vec::new();
    for number in ["RE-1", "RE-2", "RE-3"] {
        views.extend(reminders(&store, number).await);
    }
    let failed_view = views.iter().find(|v| v.id == ids[1]).expect("the failed reminder");
    assert_eq!(failed_view.receipt_error.as_deref(), Some("30003"));
    assert_eq!(record(receipt("SM-unknown", Delivered, t0() + hours(2))).await.receipts, 0);
    let mut elsewhere = receipt(&two, Read, t0() + hours(2));
    elsewhere.receipts[0].channel = ChannelKind::Whatsapp;
    assert_eq!(record(elsewhere).await.receipts, 0);

    // Messenger reads name a watermark: everything sent to the PSID up to it was read.
    let read_up_to = |watermark| ProviderReport {
        receipts: vec![Receipt {
            channel: ChannelKind::Messenger,
            target: ReceiptTarget::UpTo { contact: "psid-3".into(), watermark },
            status: Read,
            at: watermark,
            error: None,
            unreachable: false,
        }],
        ..ProviderReport::default()
    };
    assert_eq!(record(read_up_to(t0())).await.receipts, 0, "sent after the watermark");
    assert_eq!(record(read_up_to(t0() + hours(2))).await.receipts, 1);
    assert_eq!(receipt_of(&store, "RE-3").await.0, Some(Read));

    // Inbound messages set the debtor's last inbound time per channel, never backwards.
    let inbound = |at| ProviderReport {
        inbound: vec![Inbound {
            channel: ChannelKind::Messenger,
            contact: "psid-3".into(),
            at,
            message_id: None,
        }],
        ..ProviderReport::default()
    };
    assert_eq!(record(inbound(t0() + hours(6))).await.inbound, 1);
    record(inbound(t0() + hours(5))).await;
    let job = store.delivery_jobs(&ids[2..]).await.unwrap().remove(0);
    assert_eq!(job.last_inbound_at, Some(t0() + hours(6)));
    let sms_job = store.delivery_jobs(&ids[..1]).await.unwrap().remove(0);
    assert_eq!(sms_job.last_inbound_at, None, "inbound times are per channel");
    let nobody = ProviderReport {
        inbound: vec![Inbound {
            channel: ChannelKind::Messenger,
            contact: "psid-x".into(),
            at: t0(),
            message_id: None,
        }],
        ..ProviderReport::default()
    };
    assert_eq!(record(nobody).await, Default::default());

    let json = serde_json::to_value(store.stats().await.unwrap()).unwrap();
    assert_eq!(
        json["reminders"]["by_receipt"],
        serde_json::json!({"sent": 0, "delivered": 0, "read": 2, "failed": 1}),
        "{json}"
    );
}

/// The unsubscribe link writes an opt-out only when none is in force: a repeated or replayed
/// link records nothing more, and after an opt-in the link works again.
pub(super) async fn suite_unsubscribe_once(store: Arc<dyn Store>, _raw: Raw) {
    use mahnwerk::deliver::unsubscribe;
    intake(&store, &[overdue(&invoice_for("RE-7", debtor("C-7"), eur("10.00")), t0())]).await;
    let ids = plan_reminders(&store, t0(), &[("RE-7", ChannelKind::Email, t0() + hours(1))]).await;
    let job = || async { store.delivery_jobs(&ids).await.unwrap().remove(0) };
    assert!(unsubscribe(store.as_ref(), &job().await, ChannelKind::Email, t0() + hours(2)).await.unwrap());
    for again in [hours(2), hours(3)] {
        let recorded =
            unsubscribe(store.as_ref(), &job().await, ChannelKind::Email, t0() + again).await.unwrap();
        assert!(!recorded, "an opt-out in force: nothing more is written");
    }
    let opt_in = ConsentEvent {
        source: ConsentSource::EmailUnsubscribe,
        ..consent(of_debtor("C-7"), ChannelKind::Email, ConsentKind::OptIn, t0() + hours(4))
    };
    assert_eq!(store.record_consent(&opt_in).await.unwrap(), 1);
    assert!(unsubscribe(store.as_ref(), &job().await, ChannelKind::Email, t0() + hours(5)).await.unwrap());
    assert!(!job().await.consents.permits(ChannelKind::Email));
}
