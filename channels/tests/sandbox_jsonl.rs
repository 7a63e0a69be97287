//! Sandbox transports for SMS, WhatsApp, Messenger and letters: one whole JSON line per message.

use std::sync::Arc;

use mahnwerk_channels::sandbox::SandboxChannel;
use mahnwerk_channels::{
    Channel, ChannelKind, EmailMessage, LetterMessage, MessengerMessage, OutgoingMessage, SendError,
    SmsMessage, WhatsappMessage, WhatsappTemplate,
};
use serde_json::Value;

fn sms(body: &str) -> OutgoingMessage {
    OutgoingMessage::Sms(SmsMessage {
        to: "+4915112345678".into(),
        sender_id: Some("ACME".into()),
        body: body.into(),
    })
}

fn lines(channel: &SandboxChannel) -> Vec<Value> {
    let text = std::fs::read_to_string(channel.path()).unwrap();
    assert!(text.ends_with('\n'), "every line is terminated");
    text.lines().map(|line| serde_json::from_str(line).expect("each line is one JSON object")).collect()
}

#[tokio::test]
async fn each_message_is_one_json_line_with_key_time_kind_and_message() {
    let outbox = tempfile::tempdir().unwrap();
    let channel = SandboxChannel::new(ChannelKind::Sms, outbox.path());

    let receipt = channel.send("r-1", &sms("Bitte zahlen Sie.\nDanke")).await.unwrap();

    assert_eq!(receipt.provider_id, "sandbox-sms-r-1");
    assert_eq!(channel.path(), outbox.path().join("sms.jsonl"));
    let lines = lines(&channel);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["idempotency_key"], "r-1");
    assert_eq!(line["kind"], "sms");
    assert_eq!(line["message"]["to"], "+4915112345678");
    assert_eq!(line["message"]["sender_id"], "ACME");
    assert_eq!(line["message"]["body"], "Bitte zahlen Sie.\nDanke");
    let at = line["at"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(at).expect("at is RFC 3339");
    let keys: Vec<_> = line.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
}

#[tokio::test]
async fn every_other_medium_writes_its_own_file() {
    let outbox = tempfile::tempdir().unwrap();
    let messages = [
        // With the fields added for the Cloud API, which the sandbox writes like any other.
        OutgoingMessage::Whatsapp(WhatsappMessage {
            to: "+4915112345678".into(),
            language: "de".into(),
            body: "Hallo Erika".into(),
            template: Some(WhatsappTemplate {
                name: "reminder".into(),
                body_parameters: vec!["Erika".into()],
            }),
            last_inbound_at: None,
        }),
        OutgoingMessage::Messenger(MessengerMessage {
            psid: "1234567890".into(),
            text: "Hallo".into(),
            last_inbound_at: None,
        }),
        OutgoingMessage::Letter(LetterMessage {
            sender_lines: vec!["Acme GmbH".into(), "Hauptstr. 1".into()],
            recipient_lines: vec!["Erika Mustermann".into(), "Musterstr. 1".into(), "10115 Berlin".into()],
            subject: "Mahnung".into(),
            body: "Sehr geehrte Frau Mustermann".into(),
            ..Default::default()
        }),
    ];
    for message in messages {
        let kind = message.kind();
        let channel = SandboxChannel::new(kind, outbox.path());
        assert_eq!(channel.kind(), kind);

        let receipt = channel.send("r-9", &message).await.unwrap();

        assert_eq!(receipt.provider_id, format!("sandbox-{kind}-r-9"));
        assert_eq!(channel.path(), outbox.path().join(format!("{kind}.jsonl")));
        let lines = lines(&channel);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["kind"], kind.as_str());
        assert_eq!(lines[0]["message"], serde_json::to_value(&message).unwrap()["message"]);
    }
}

#[tokio::test]
async fn a_repeated_key_is_not_appended_twice_and_gets_the_same_receipt() {
    let outbox = tempfile::tempdir().unwrap();
    let channel = SandboxChannel::new(ChannelKind::Sms, outbox.path());

    let first = channel.send("r-1", &sms("one")).await.unwrap();
    let again = channel.send("r-1", &sms("one")).await.unwrap();
    channel.send("r-2", &sms("two")).await.unwrap();

    assert_eq!(first, again);
    let keys: Vec<_> = lines(&channel).iter().map(|l| l["idempotency_key"].clone()).collect();
    assert_eq!(keys, ["r-1", "r-2"]);
}

#[tokio::test]
async fn a_restarted_process_does_not_append_a_key_already_in_the_file() {
    let outbox = tempfile::tempdir().unwrap();
    SandboxChannel::new(ChannelKind::Sms, outbox.path()).send("r-1", &sms("one")).await.unwrap();

    let restarted = SandboxChannel::new(ChannelKind::Sms, outbox.path());
    let receipt = restarted.send("r-1", &sms("one")).await.unwrap();
    restarted.send("r-2", &sms("two")).await.unwrap();

    assert_eq!(receipt.provider_id, "sandbox-sms-r-1");
    assert_eq!(lines(&restarted).len(), 2);
}

#[tokio::test]
async fn a_torn_last_line_is_ended_before_the_next_message() {
    let outbox = tempfile::tempdir().unwrap();
    let path = outbox.path().join("sms.jsonl");
    std::fs::write(&path, b"{\"idempotency_key\":\"r-0\",\"at\":").unwrap();

    let channel = SandboxChannel::new(ChannelKind::Sms, outbox.path());
    channel.send("r-1", &sms("one")).await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["idempotency_key"], "r-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_yield_whole_lines() {
    let outbox = tempfile::tempdir().unwrap();
    let channel = Arc::new(SandboxChannel::new(ChannelKind::Sms, outbox.path()));
    // Long bodies make a torn or interleaved write show up as invalid JSON.
    let body = "x".repeat(4096);

    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let channel = Arc::clone(&channel);
            let message = sms(&body);
            tokio::spawn(async move { channel.send(&format!("r-{i}"), &message).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let lines = lines(&channel);
    assert_eq!(lines.len(), 200);
    let mut keys: Vec<String> =
        lines.iter().map(|l| l["idempotency_key"].as_str().unwrap().to_owned()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_key_append_one_line() {
    let outbox = tempfile::tempdir().unwrap();
    let channel = Arc::new(SandboxChannel::new(ChannelKind::Sms, outbox.path()));

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let channel = Arc::clone(&channel);
            tokio::spawn(async move { channel.send("r-same", &sms("once")).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().provider_id, "sandbox-sms-r-same");
    }

    assert_eq!(lines(&channel).len(), 1);
}

#[tokio::test]
async fn a_message_for_another_medium_is_refused_as_permanent() {
    let outbox = tempfile::tempdir().unwrap();
    let channel = SandboxChannel::new(ChannelKind::Whatsapp, outbox.path());
    let email = OutgoingMessage::Email(EmailMessage {
        from_name: "Acme".into(),
        from_address: "billing@acme.example".into(),
        reply_to: None,
        to_name: None,
        to_address: "erika@example.org".into(),
        subject: "s".into(),
        text_body: "t".into(),
        html_body: None,
        ..Default::default()
    });

    for message in [email, sms("hi")] {
        let err = channel.send("r-1", &message).await.unwrap_err();
        assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
        assert!(err.reason().contains("whatsapp"), "{err}");
    }
    assert!(!channel.path().exists());
}
