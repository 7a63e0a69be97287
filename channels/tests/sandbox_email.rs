//! Sandbox email: the `.eml` files in the outbox are complete messages a mail client can open.

#[path = "support/mime.rs"]
mod mime;

use mahnwerk_channels::email::SandboxEmail;
use mahnwerk_channels::{Channel, EmailMessage, LetterMessage, OutgoingMessage, SendError};

fn reminder(subject: &str) -> OutgoingMessage {
    OutgoingMessage::Email(EmailMessage {
        from_name: "Acme Wartung GmbH".into(),
        from_address: "billing@acme.example".into(),
        reply_to: None,
        to_name: Some("Erika Mustermann".into()),
        to_address: "erika@example.org".into(),
        subject: subject.into(),
        text_body: "Bitte zahlen Sie bis Freitag.\n".into(),
        html_body: Some("<p>Bitte zahlen Sie bis <b>Freitag</b>.</p>".into()),
        ..Default::default()
    })
}

#[tokio::test]
async fn writes_a_parseable_eml_named_after_the_key() {
    let outbox = tempfile::tempdir().unwrap();
    let email = SandboxEmail::new(outbox.path());

    let receipt = email.send("r-42", &reminder("Erinnerung")).await.unwrap();

    assert_eq!(receipt.provider_id, "r-42.eml");
    let path = outbox.path().join("email").join("r-42.eml");
    let data = std::fs::read_to_string(&path).unwrap();
    let message = mime::parse(&data);
    assert_eq!(message.display_name("From").as_deref(), Some("Acme Wartung GmbH"));
    assert_eq!(message.decoded_header("Subject").as_deref(), Some("Erinnerung"));
    assert_eq!(message.header("Message-ID"), Some("<r-42@acme.example>"));
    assert!(message.header("Date").is_some());
    let parts = message.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].text(), "Bitte zahlen Sie bis Freitag.\n");
    assert_eq!(parts[1].mime_type(), "text/html");
}

#[tokio::test]
async fn the_same_key_replaces_its_file_instead_of_adding_one() {
    let outbox = tempfile::tempdir().unwrap();
    let email = SandboxEmail::new(outbox.path());

    email.send("r-1", &reminder("first")).await.unwrap();
    email.send("r-1", &reminder("second")).await.unwrap();
    email.send("r-2", &reminder("other")).await.unwrap();

    let mut names: Vec<_> = std::fs::read_dir(outbox.path().join("email"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["r-1.eml", "r-2.eml"], "no temporary files left behind");
    let data = std::fs::read_to_string(outbox.path().join("email/r-1.eml")).unwrap();
    assert_eq!(mime::parse(&data).decoded_header("Subject").as_deref(), Some("second"));
}

#[tokio::test]
async fn a_key_that_would_leave_the_outbox_is_refused() {
    let outbox = tempfile::tempdir().unwrap();
    let email = SandboxEmail::new(outbox.path().join("inner"));

    let err = email.send("../escape", &reminder("x")).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert!(!outbox.path().join("escape.eml").exists());
}

#[tokio::test]
async fn a_letter_is_refused_as_permanent() {
    let outbox = tempfile::tempdir().unwrap();
    let letter = OutgoingMessage::Letter(LetterMessage {
        sender_lines: vec!["Acme".into()],
        recipient_lines: vec!["Erika Mustermann".into()],
        subject: "Mahnung".into(),
        body: "Bitte zahlen".into(),
        ..Default::default()
    });

    let err = SandboxEmail::new(outbox.path()).send("r-1", &letter).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert!(!outbox.path().join("email").exists());
}

#[tokio::test]
async fn an_unwritable_outbox_is_transient() {
    let outbox = tempfile::tempdir().unwrap();
    // A file where the outbox folder should be: creating `email/` inside it fails.
    let blocked = outbox.path().join("not-a-dir");
    std::fs::write(&blocked, b"").unwrap();

    let err = SandboxEmail::new(&blocked).send("r-1", &reminder("x")).await.unwrap_err();

    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sends_at_once_from_clones_each_leave_one_whole_file() {
    let outbox = tempfile::tempdir().unwrap();
    let email = SandboxEmail::new(outbox.path());

    let mut sends = tokio::task::JoinSet::new();
    for i in 0..200 {
        let email = email.clone();
        sends.spawn(async move { email.send(&format!("r-{i}"), &reminder(&format!("subject {i}"))).await });
    }
    while let Some(sent) = sends.join_next().await {
        sent.unwrap().unwrap();
    }

    let names: Vec<String> = std::fs::read_dir(outbox.path().join("email"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 200, "one file per key and no temporary files: {names:?}");
    let data = std::fs::read_to_string(outbox.path().join("email/r-137.eml")).unwrap();
    assert_eq!(mime::parse(&data).decoded_header("Subject").as_deref(), Some("subject 137"));
}
