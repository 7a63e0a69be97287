//! `mahnwerk preview` as a creditor runs it before going live: one file per channel, holding the
//! reminder as it would be sent with the configured creditor, templates and signed links; and a
//! misspelt template variable or a missing links secret stops the binary with an error naming it.

use mahnwerk::deliver::{LinkPurpose, Links, LinksConfig};
use std::path::Path;
use std::process::Command;

const SECRET: &str = "preview-test-secret-0123456789";

const CONFIG: &str = r#"
[links]
base_url = "https://pay.acme.example"
secret = "preview-test-secret-0123456789"

[creditors.acme]
name = "Stadtwerke Musterstadt GmbH"
email = "forderungen@stadtwerke-musterstadt.example"
phone = "+49 30 1234567"
address_lines = ["Am Markt 1", "10115 Berlin"]

[creditors.acme.bank]
iban = "DE89370400440532013000"

[whatsapp_templates.acme]
"1. Mahnung" = "acme_mahnung_1"
"#;

fn mahnwerk(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mahnwerk"));
    command
        .current_dir(dir)
        .env_remove("MAHNWERK_AMQP_URL")
        .env_remove("MAHNWERK_DATABASE_URL")
        .env_remove("MAHNWERK_TEMPLATES_DIR")
        .env_remove("MAHNWERK_LINKS_SECRET")
        .env("RUST_LOG", "warn");
    command
}

/// The providers of a company that went live: Twilio, the WhatsApp Cloud API, the Send API.
const PROVIDERS: &str = r#"
[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "twilio-auth-token-never-shown"
from = "+4915799912345"

[whatsapp]
phone_number_id = "106540352242922"
access_token = "meta-access-token-never-shown"

[messenger]
page_access_token = "page-token-never-shown"
"#;

/// Runs `mahnwerk --config … preview --channel <channel> --stage 2 <extra> --out <file>` and
/// returns the file.
fn preview(dir: &Path, channel: &str, extra: &[&str]) -> std::path::PathBuf {
    preview_with(dir, CONFIG, channel, extra)
}

fn preview_with(dir: &Path, config: &str, channel: &str, extra: &[&str]) -> std::path::PathBuf {
    std::fs::write(dir.join("mahnwerk.toml"), config).unwrap();
    let out = dir.join(format!("preview-{channel}"));
    let output = mahnwerk(dir)
        .args(["--config", "mahnwerk.toml", "preview", "--channel", channel, "--stage", "2"])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("written to"));
    out
}

/// The outbox JSON line's message.
fn json_message(file: &Path) -> serde_json::Value {
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(file).unwrap().trim()).unwrap();
    line["message"].clone()
}

/// Checks that `url` is a pay-link of tenant acme signed with the configured secret.
fn assert_signed_pay_link(url: &str) {
    let token = url.strip_prefix("https://pay.acme.example/pay/").unwrap_or_else(|| panic!("{url}"));
    let links = Links::new(&LinksConfig { secret: Some(SECRET.into()), ..LinksConfig::default() });
    let claims = links.verify(token, chrono::Utc::now()).unwrap();
    assert_eq!((claims.purpose, claims.tenant.as_str()), (LinkPurpose::Pay, "acme"));
}

/// The first pay-link in `text`.
fn pay_link_in(text: &str) -> &str {
    let start = text.find("https://pay.acme.example/pay/").unwrap_or_else(|| panic!("no pay-link in {text}"));
    let rest = &text[start..];
    &rest[..rest.find(|c: char| c.is_whitespace() || c == '"' || c == '<').unwrap_or(rest.len())]
}

/// Quoted-printable undone: soft line breaks joined, `=XX` bytes decoded.
fn unquote(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex =
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn email_preview_is_the_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let eml = unquote(&std::fs::read_to_string(preview(dir.path(), "email", &[])).unwrap());
    assert!(eml.contains("Subject: 1. Mahnung: Rechnung RE-2026-0042"), "{eml}");
    assert!(eml.contains("Stadtwerke Musterstadt GmbH") && eml.contains("erika@example.org"), "{eml}");
    for expected in [
        "Guten Tag Erika Mustermann",
        "1.240,67 €",
        "So setzt sich der Betrag zusammen:",
        "Mahnkosten (Schreiben vom",
        "Verzugszinsen 6,27 % vom",
        "+49 30 1234567",
    ] {
        assert!(eml.contains(expected), "{expected:?} missing in {eml}");
    }
    assert!(eml.contains("text/html") && eml.contains("Jetzt online bezahlen"), "{eml}");
    assert!(eml.contains("https://pay.acme.example/unsubscribe/"), "{eml}");
    assert_signed_pay_link(pay_link_in(&eml));
}

#[test]
fn sms_preview_is_the_outbox_line() {
    let dir = tempfile::tempdir().unwrap();
    let message = json_message(&preview(dir.path(), "sms", &["--language", "fr", "--tone", "firm"]));
    let body = message["body"].as_str().unwrap();
    assert_eq!(message["to"], "+4915112345678");
    assert!(body.starts_with("Stadtwerke Musterstadt GmbH : la facture RE-2026-0042 (1 240,67 €"), "{body}");
    assert!(body.contains("reste impayée") && body.contains("+49 30 1234567"), "{body}");
    assert!(mahnwerk_channels::sms_segments::fits(body, 3), "{body}");
    assert_signed_pay_link(pay_link_in(body));
}

#[test]
fn whatsapp_preview_names_the_approved_template() {
    let dir = tempfile::tempdir().unwrap();
    let message = json_message(&preview(dir.path(), "whatsapp", &[]));
    assert_eq!(message["template"]["name"], "acme_mahnung_1");
    let parameters = message["template"]["body_parameters"].as_array().unwrap();
    assert_eq!(parameters[..3], ["Erika Mustermann", "1.240,67 €", "RE-2026-0042"]);
    assert_signed_pay_link(parameters[4].as_str().unwrap());
    assert!(message["body"].as_str().unwrap().contains("hier ist Stadtwerke Musterstadt GmbH"));
}

#[test]
fn messenger_preview_is_the_outbox_line() {
    let dir = tempfile::tempdir().unwrap();
    let message =
        json_message(&preview(dir.path(), "messenger", &["--language", "en", "--tone", "friendly"]));
    let text = message["text"].as_str().unwrap();
    assert!(text.starts_with("Hello Erika Mustermann, this is Stadtwerke Musterstadt GmbH."), "{text}");
    assert!(text.contains("€1,240.67"), "{text}");
    assert_signed_pay_link(pay_link_in(text));
}

#[test]
fn letter_preview_is_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = preview(dir.path(), "letter", &[]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let Ok(output) = Command::new("pdftotext").args(["-layout", pdf.to_str().unwrap(), "-"]).output() else {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI needs poppler-utils (pdftotext)");
        eprintln!("skipped the text check: pdftotext not found, install poppler-utils");
        return;
    };
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "1. Mahnung: Rechnung RE-2026-0042",
        "Musterstraße 1",
        "Guten Tag Erika Mustermann",
        "Verzugszinsen 6,27 % vom",
        "Offener Gesamtbetrag",
        "1.240,67 €",
        "Online bezahlen",
        "+49 30 1234567",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in {text}");
    }
}

#[test]
fn a_misspelt_variable_stops_the_binary_naming_template_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates/acme/de")).unwrap();
    std::fs::write(
        dir.path().join("templates/acme/de/sms.j2"),
        "{{ creditor_name }}: {{ amuont }} {{ pay_link }}",
    )
    .unwrap();
    std::fs::write(dir.path().join("mahnwerk.toml"), CONFIG).unwrap();
    let output = mahnwerk(dir.path())
        .env("MAHNWERK_TEMPLATES_DIR", "templates")
        .args(["--config", "mahnwerk.toml", "preview", "--channel", "sms", "--out", "x.json"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("acme/de/sms.j2") && stderr.contains("`amuont`"), "{stderr}");
    assert!(!dir.path().join("x.json").exists());
}

#[test]
fn postgres_without_a_links_secret_stops_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let output = mahnwerk(dir.path())
        .env("MAHNWERK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nowhere")
        .args(["preview", "--channel", "sms", "--out", "x.json"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("links.secret"), "{stderr}");
}

/// The preview of a provider's request, checked to hold no credential.
fn provider_request(channel: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let file = preview_with(dir.path(), &format!("{CONFIG}{PROVIDERS}"), channel, &[]);
    let text = std::fs::read_to_string(file).unwrap();
    assert!(!text.contains("never-shown"), "no credential in the preview: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn with_twilio_configured_the_sms_preview_is_twilios_form() {
    let request = provider_request("sms");
    assert_eq!(request["method"], "POST");
    assert_eq!(
        request["url"],
        "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    );
    assert_eq!(request["content_type"], "application/x-www-form-urlencoded");
    assert_eq!(request["headers"]["I-Twilio-Idempotency-Token"], "preview-sms");
    let form = &request["body"];
    assert_eq!(
        (form["To"].as_str(), form["From"].as_str()),
        (Some("+4915112345678"), Some("+4915799912345"))
    );
    let body = form["Body"].as_str().unwrap();
    assert!(body.contains("RE-2026-0042"), "{body}");
    assert_signed_pay_link(pay_link_in(body));
}

#[test]
fn with_the_cloud_api_configured_the_whatsapp_preview_is_metas_request() {
    let request = provider_request("whatsapp");
    assert_eq!(request["url"], "https://graph.facebook.com/v25.0/106540352242922/messages");
    assert_eq!(request["content_type"], "application/json");
    let body = &request["body"];
    assert_eq!(
        (body["messaging_product"].as_str(), body["type"].as_str()),
        (Some("whatsapp"), Some("template"))
    );
    assert_eq!(body["template"]["name"], "acme_mahnung_1");
    assert_eq!(body["template"]["language"]["code"], "de");
    let parameters = body["template"]["components"][0]["parameters"].as_array().unwrap();
    assert!(parameters.iter().any(|p| p["text"] == "RE-2026-0042"), "{parameters:?}");
}

#[test]
fn with_the_send_api_configured_the_messenger_preview_is_the_send_api_request() {
    let request = provider_request("messenger");
    assert_eq!(request["url"], "https://graph.facebook.com/v25.0/me/messages");
    let body = &request["body"];
    assert_eq!(body["messaging_type"], "UPDATE");
    let text = body["message"]["text"].as_str().unwrap();
    assert!(text.contains("RE-2026-0042"), "{text}");
    assert_eq!(body["message"]["metadata"], "preview-messenger");
}
