//! Starting a Stripe Checkout from the pay-page, with wiremock standing in for Stripe's API: the
//! session request carries the amount in cents, the invoice and reminder in its metadata, the
//! configured payment methods, the secret key as bearer and a fresh idempotency key per attempt;
//! Stripe's refusals, rate limits, outages and silence become `PspError`s that say whether to
//! try again. `pay::checkout` runs on every backend.

use crate::support;

use mahnwerk::domain::{Currency, InvoiceNumber, Money};
use mahnwerk::pay::psp::stripe::StripeCheckout;
use mahnwerk::pay::psp::{CheckoutRequest, Psp, PspError};
use mahnwerk::pay::{checkout, CheckoutError, CheckoutStart};
use mahnwerk::store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::db::{self, Raw};
use support::stripe::{config, dunned, eur, tenant, SECRET_KEY};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn session_created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id, "object": "checkout.session", "mode": "payment", "payment_status": "unpaid",
        "url": format!("https://checkout.stripe.com/c/pay/{id}")}))
}

fn form_of(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).expect("a form body")
}

fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
}

fn start(reminder_id: i64, amount: Money) -> CheckoutStart {
    CheckoutStart {
        tenant: tenant(),
        reminder_id,
        amount,
        description: None,
        locale: None,
        success_url: "https://pay.stadtwerke.example/pay/tok/thanks".into(),
        cancel_url: "https://pay.stadtwerke.example/pay/tok".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_session_carries_cents_metadata_and_keys() {
    let stores = db::stores().await;
    db::run_suite(&stores, "suite_checkout", suite_checkout).await;
}

async fn suite_checkout(store: Arc<dyn Store>, _raw: Raw) {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(session_created("cs_test_a1"))
        .mount(&stripe)
        .await;
    let psp = StripeCheckout::new(&config(&stripe.uri())).unwrap();
    assert_eq!(
        (psp.name(), psp.payment_methods()),
        ("stripe", &["card".to_owned(), "sepa_debit".to_owned()][..])
    );
    let reminders = dunned(&store, &["RE-2026-0042"], "1234.50").await;

    let started = checkout(store.as_ref(), &psp, &start(reminders[0], eur("1239.50"))).await.unwrap();
    assert_eq!(started.id, "cs_test_a1");
    assert_eq!(started.url, "https://checkout.stripe.com/c/pay/cs_test_a1");

    let requests = stripe.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(header(request, "authorization"), format!("Bearer {SECRET_KEY}"));
    assert_eq!(header(request, "content-type"), "application/x-www-form-urlencoded");
    let key = header(request, "idempotency-key");
    assert!(key.starts_with(&format!("chk-{}-", reminders[0])) && key.len() > 40, "{key}");
    let reminder = reminders[0].to_string();
    let expected: Vec<(&str, &str)> = vec![
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "123950"),
        ("line_items[0][price_data][product_data][name]", "RE-2026-0042"),
        ("line_items[0][quantity]", "1"),
        ("client_reference_id", &reminder),
        ("metadata[tenant]", "stadtwerke"),
        ("metadata[invoice_number]", "RE-2026-0042"),
        ("metadata[reminder_id]", &reminder),
        ("success_url", "https://pay.stadtwerke.example/pay/tok/thanks"),
        ("cancel_url", "https://pay.stadtwerke.example/pay/tok"),
        ("locale", "de"),
        ("payment_method_types[0]", "card"),
        ("payment_method_types[1]", "sepa_debit"),
        ("customer_email", "erika@example.org"),
    ];
    let form = form_of(request);
    assert_eq!(form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(), expected);

    // Pressing the button again is another attempt: another key. The page's own wording wins.
    let mut again = start(reminders[0], eur("0.99"));
    again.description = Some("Rechnung RE-2026-0042".into());
    again.locale = Some("en".into());
    checkout(store.as_ref(), &psp, &again).await.unwrap();
    let requests = stripe.received_requests().await.unwrap();
    assert_ne!(header(&requests[1], "idempotency-key"), key);
    let form = form_of(&requests[1]);
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(value("line_items[0][price_data][unit_amount]"), Some("99"));
    assert_eq!(value("line_items[0][price_data][product_data][name]"), Some("Rechnung RE-2026-0042"));
    assert_eq!(value("locale"), Some("en"));

    // Nothing reaches Stripe for another tenant's reminder, an unknown one, or another currency.
    let mut foreign = start(reminders[0], eur("10.00"));
    foreign.tenant = mahnwerk::domain::TenantId::parse("other").unwrap();
    assert!(matches!(checkout(store.as_ref(), &psp, &foreign).await, Err(CheckoutError::UnknownReminder(_))));
    let unknown = start(reminders[0] + 1000, eur("10.00"));
    assert!(matches!(checkout(store.as_ref(), &psp, &unknown).await, Err(CheckoutError::UnknownReminder(_))));
    let francs = start(reminders[0], Money::parse("10.00", Currency::parse("CHF").unwrap()).unwrap());
    let error = checkout(store.as_ref(), &psp, &francs).await.unwrap_err();
    assert_eq!(error.to_string(), "amount: in CHF, but the invoice is in EUR");
    assert_eq!(stripe.received_requests().await.unwrap().len(), 2);
}

fn request(amount: Money) -> CheckoutRequest {
    CheckoutRequest {
        tenant: tenant(),
        invoice_number: InvoiceNumber::parse("RE-1").unwrap(),
        reminder_id: 7,
        amount,
        description: "RE-1".into(),
        customer_email: None,
        locale: "fr".into(),
        success_url: "https://pay.example/ok".into(),
        cancel_url: "https://pay.example/back".into(),
        idempotency_key: "chk-7-test".into(),
    }
}

#[tokio::test]
async fn stripes_answers_become_errors_that_say_whether_to_retry() {
    let stripe = MockServer::start().await;
    let psp = StripeCheckout::new(&config(&stripe.uri())).unwrap();
    let answers = [
        ResponseTemplate::new(400).set_body_json(json!({"error": {"type": "invalid_request_error",
            "message": "The payment method type \"sepa_debit\" is invalid.", "param": "payment_method_types"}})),
        ResponseTemplate::new(401)
            .set_body_json(json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****0000"}})),
        ResponseTemplate::new(429).insert_header("Retry-After", "3").set_body_json(json!({"error": {"message": "Too many requests"}})),
        ResponseTemplate::new(503).set_body_string("upstream unavailable"),
        session_created("cs_test_b1").set_delay(Duration::from_secs(5)),
        ResponseTemplate::new(200).set_body_json(json!({"id": "cs_test_c1", "url": null})),
    ];
    let mut errors = Vec::new();
    for answer in answers {
        stripe.reset().await;
        Mock::given(method("POST")).respond_with(answer).mount(&stripe).await;
        errors.push(psp.start_checkout(&request(eur("12.34"))).await.unwrap_err());
    }
    assert_eq!(
        errors[0],
        PspError::Refused {
            provider: "stripe",
            status: 400,
            message: "The payment method type \"sepa_debit\" is invalid. (param payment_method_types)".into()
        }
    );
    assert!(
        matches!(&errors[1], PspError::Refused { status: 401, message, .. } if message.starts_with("Invalid API Key"))
    );
    assert_eq!(
        errors[2],
        PspError::RateLimited { provider: "stripe", retry_after: Some(Duration::from_secs(3)) }
    );
    assert!(
        matches!(&errors[3], PspError::Unavailable { reason, .. } if reason.contains("503")),
        "{}",
        errors[3]
    );
    assert!(
        matches!(&errors[4], PspError::Unavailable { reason, .. } if reason == "timed out"),
        "{}",
        errors[4]
    );
    assert!(matches!(&errors[5], PspError::Unavailable { reason, .. } if reason.contains("without a url")));
    let transient: Vec<bool> = errors.iter().map(PspError::is_transient).collect();
    assert_eq!(transient, [false, false, true, true, true, true]);
    assert!(!errors[1].to_string().contains(SECRET_KEY));

    // An amount Stripe cannot charge, or a relative return URL, never leaves the service.
    stripe.reset().await;
    let zero = psp.start_checkout(&request(eur("0.00"))).await.unwrap_err();
    assert!(matches!(&zero, PspError::Invalid(m) if m.starts_with("amount:")), "{zero}");
    let mut relative = request(eur("1.00"));
    relative.success_url = "/pay/tok/thanks".into();
    let error = psp.start_checkout(&relative).await.unwrap_err();
    assert!(matches!(&error, PspError::Invalid(m) if m.starts_with("success_url:")), "{error}");
    assert!(stripe.received_requests().await.unwrap().is_empty());
}
