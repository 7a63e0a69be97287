//! The requests of the security check: for each signed link (pay-page, its forms, unsubscribe,
//! recommendation click) and each webhook (Twilio, Meta, Pingen, Stripe), what an attacker can
//! send without the secret — nothing signed, a made-up signature, a genuine request altered after
//! signing, a link past its expiry — what a leaked or mis-minted link for another tenant's
//! reminder does, and genuine requests captured and sent again later. Signatures are made with
//! the providers' own published schemes (`mahnwerk_channels::signature`, Stripe's
//! `stripe_signature::sign`), links with [`Links`].

use super::world::{Dunned, World, META_SECRET, PINGEN_SECRET, STRIPE_SECRET, TWILIO_TOKEN};
use crate::deliver::{LinkClaims, LinkPurpose, Links};
use crate::domain::ChannelKind;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mahnwerk_channels::signature::{
    meta_signature, pingen_signature, twilio_signature, META_SIGNATURE_HEADER, PINGEN_SIGNATURE_HEADER,
    TWILIO_SIGNATURE_HEADER,
};

/// One HTTP request.
#[derive(Debug, Clone)]
pub struct Request {
    pub post: bool,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<(&'static str, Vec<u8>)>,
}

impl Request {
    fn get(path: String) -> Self {
        Self { post: false, path, headers: Vec::new(), body: None }
    }

    fn form(path: String, body: String) -> Self {
        Self {
            post: true,
            path,
            headers: Vec::new(),
            body: Some(("application/x-www-form-urlencoded", body.into_bytes())),
        }
    }

    fn json(path: &str, body: &str) -> Self {
        Self {
            post: true,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Some(("application/json", body.as_bytes().to_vec())),
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// What is tried, against what, and the genuine requests sent before it (a replay's original).
#[derive(Debug, Clone)]
pub struct Attack {
    pub target: &'static str,
    pub kind: Kind,
    pub genuine_first: Vec<Request>,
    pub request: Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Unsigned,
    Forged,
    Tampered,
    Expired,
    CrossTenant,
    OtherKindOfLink,
    Replayed,
}

impl Kind {
    /// Whether the request must be refused (4xx); a replay may be answered as the original was.
    pub fn must_be_refused(self) -> bool {
        self != Kind::Replayed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unsigned => "unsigned",
            Kind::Forged => "forged",
            Kind::Tampered => "tampered",
            Kind::Expired => "expired",
            Kind::CrossTenant => "cross-tenant",
            Kind::OtherKindOfLink => "another link's token",
            Kind::Replayed => "replayed",
        }
    }
}

/// A token of the links' format whose MAC is made up.
const FORGED_TOKEN: &str = "cDphY21lOjE6OTk5OTk5OTk5OQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// `token` with its payload's reminder id changed to `reminder_id`, the MAC kept.
fn tampered(token: &str, reminder_id: i64) -> String {
    let (payload, tag) = token.split_once('.').unwrap_or((token, ""));
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap_or_default()).unwrap_or_default();
    let mut parts: Vec<String> = text.split(':').map(str::to_owned).collect();
    if parts.len() > 2 {
        parts[2] = reminder_id.to_string();
    }
    format!("{}.{tag}", URL_SAFE_NO_PAD.encode(parts.join(":")))
}

/// Every attack on `world`, in the order they are tried. Stripe's come first: their
/// signatures carry the time they were made, and the check's clock moves on before each replay.
pub fn all(world: &World) -> Vec<Attack> {
    let mut attacks = stripe(world);
    attacks.extend(links(world));
    attacks.extend(twilio(world));
    attacks.extend(meta(world));
    attacks.extend(pingen());
    attacks
}

fn links(world: &World) -> Vec<Attack> {
    let links: &Links = &world.service.links;
    let (acme, globex) = (&world.acme, &world.globex);
    let now = world.now().timestamp();
    let claims = |purpose, of: &Dunned, tenant: &Dunned, expires_at| LinkClaims {
        purpose,
        tenant: tenant.tenant.clone(),
        reminder_id: of.reminder_id,
        expires_at,
    };
    let mut attacks = Vec::new();
    let email = LinkPurpose::Unsubscribe(ChannelKind::Email);
    for purpose in [LinkPurpose::Pay, email] {
        let genuine = links.sign(&claims(purpose, acme, acme, now + 86_400));
        let tokens = [
            (Kind::Forged, FORGED_TOKEN.to_owned()),
            (Kind::Tampered, tampered(&genuine, globex.reminder_id)),
            (Kind::Expired, links.sign(&claims(purpose, acme, acme, now - 60))),
            // Signed with the real key, as a leaked or mis-minted link would be: the reminder is
            // acme's, the tenant globex.
            (Kind::CrossTenant, links.sign(&claims(purpose, acme, globex, now + 86_400))),
        ];
        for (kind, token) in tokens {
            let requests = match purpose {
                LinkPurpose::Pay => vec![
                    ("pay-page", Request::get(format!("/pay/{token}"))),
                    ("pay-page dispute", dispute(links, &token)),
                ],
                LinkPurpose::Unsubscribe(_) => vec![("unsubscribe", one_click(&token))],
            };
            for (target, request) in requests {
                attacks.push(Attack { target, kind, genuine_first: Vec::new(), request });
            }
        }
    }
    // A pay-link's genuine token where a click link's belongs.
    let pay = links.sign(&claims(LinkPurpose::Pay, acme, acme, now + 86_400));
    attacks.push(Attack {
        target: "recommendation click",
        kind: Kind::OtherKindOfLink,
        genuine_first: Vec::new(),
        request: Request::get(format!("/r/{pay}")),
    });
    attacks.push(Attack {
        target: "recommendation click",
        kind: Kind::Forged,
        genuine_first: Vec::new(),
        request: Request::get(format!("/r/{FORGED_TOKEN}")),
    });
    // Genuine links, used once and captured.
    let unsubscribe = links.sign(&claims(email, globex, globex, now + 86_400));
    attacks.push(Attack {
        target: "unsubscribe",
        kind: Kind::Replayed,
        genuine_first: vec![one_click(&unsubscribe)],
        request: one_click(&unsubscribe),
    });
    let pay = links.sign(&claims(LinkPurpose::Pay, globex, globex, now + 86_400));
    attacks.push(Attack {
        target: "pay-page dispute",
        kind: Kind::Replayed,
        genuine_first: vec![dispute(links, &pay)],
        request: dispute(links, &pay),
    });
    attacks
}

/// The pay-page's dispute form for `token`, with the form token the page would carry.
fn dispute(links: &Links, token: &str) -> Request {
    Request::form(
        format!("/pay/{token}/dispute"),
        format!("form_token={}&reason=not_received&details=never+arrived", links.form_token(token)),
    )
}

fn one_click(token: &str) -> Request {
    Request::form(format!("/unsubscribe/{token}"), "List-Unsubscribe=One-Click".to_owned())
}

fn twilio(world: &World) -> Vec<Attack> {
    const PATH: &str = "/webhooks/twilio/inbound";
    let url = world.url(PATH);
    let sms = |sid: &str, body: &str| -> Vec<(String, String)> {
        [("MessageSid", sid), ("From", world.acme.phone.as_str()), ("To", "+4930123456"), ("Body", body)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let request = |params: &[(String, String)], signed: Option<&[(String, String)]>, key: &str| {
        let body = serde_urlencoded::to_string(params).expect("a form");
        let request = Request::form(PATH.to_owned(), body);
        match signed {
            Some(signed) => {
                request.with_header(TWILIO_SIGNATURE_HEADER, twilio_signature(key.as_bytes(), &url, signed))
            }
            None => request,
        }
    };
    let (stop, start) = (
        sms("SM00000000000000000000000000000002", "STOP"),
        sms("SM00000000000000000000000000000001", "START"),
    );
    let genuine = |params: &[(String, String)]| request(params, Some(params), TWILIO_TOKEN);
    vec![
        Attack {
            target: "twilio inbound",
            kind: Kind::Unsigned,
            genuine_first: Vec::new(),
            request: request(&stop, None, ""),
        },
        Attack {
            target: "twilio inbound",
            kind: Kind::Forged,
            genuine_first: Vec::new(),
            request: request(&stop, Some(stop.as_slice()), "not-the-auth-token"),
        },
        Attack {
            target: "twilio inbound",
            kind: Kind::Tampered,
            genuine_first: Vec::new(),
            request: request(&start, Some(stop.as_slice()), TWILIO_TOKEN),
        },
        // The case: START, then STOP; the captured START sent again must not opt in.
        Attack {
            target: "twilio inbound",
            kind: Kind::Replayed,
            genuine_first: vec![genuine(&start), genuine(&stop)],
            request: genuine(&start),
        },
    ]
}

fn meta(world: &World) -> Vec<Attack> {
    const PATH: &str = "/webhooks/meta";
    let wa_id = world.acme.phone.trim_start_matches('+').to_owned();
    let now = world.now().timestamp();
    let message = |id: &str, body: &str, at: i64| {
        serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "messages": [{"from": wa_id, "id": id, "timestamp": at.to_string(),
                "type": "text", "text": {"body": body}}]}}]}]})
        .to_string()
    };
    let (stop, start) = (message("wamid.stop", "STOP", now - 120), message("wamid.start", "START", now - 60));
    let signed = |body: &str, signed_body: &str, secret: &str| {
        Request::json(PATH, body)
            .with_header(META_SIGNATURE_HEADER, meta_signature(secret.as_bytes(), signed_body.as_bytes()))
    };
    vec![
        Attack {
            target: "meta (whatsapp)",
            kind: Kind::Unsigned,
            genuine_first: Vec::new(),
            request: Request::json(PATH, &stop),
        },
        Attack {
            target: "meta (whatsapp)",
            kind: Kind::Forged,
            genuine_first: Vec::new(),
            request: signed(&stop, &stop, "not-the-app-secret"),
        },
        Attack {
            target: "meta (whatsapp)",
            kind: Kind::Tampered,
            genuine_first: Vec::new(),
            request: signed(&start, &stop, META_SECRET),
        },
        // STOP, then START; the captured STOP sent again must not opt out.
        Attack {
            target: "meta (whatsapp)",
            kind: Kind::Replayed,
            genuine_first: vec![signed(&stop, &stop, META_SECRET), signed(&start, &start, META_SECRET)],
            request: signed(&stop, &stop, META_SECRET),
        },
    ]
}

fn pingen() -> Vec<Attack> {
    const PATH: &str = "/webhooks/pingen";
    let event = |kind: &str| {
        serde_json::json!({"data": {"id": "evt-1", "type": kind, "attributes": {"created_at": "2026-01-07T09:00:00+0000",
            "reason": "Recipient could not be determined at the specified address."},
            "relationships": {"letter": {"data": {"id": "letter-of-the-check", "type": "letters"}}}}})
        .to_string()
    };
    let (sent, undeliverable) = (event("webhook_sent"), event("webhook_undeliverable"));
    let signed = |body: &str, signed_body: &str, key: &str| {
        Request::json(PATH, body)
            .with_header(PINGEN_SIGNATURE_HEADER, pingen_signature(key.as_bytes(), signed_body.as_bytes()))
    };
    vec![
        Attack {
            target: "pingen",
            kind: Kind::Unsigned,
            genuine_first: Vec::new(),
            request: Request::json(PATH, &undeliverable),
        },
        Attack {
            target: "pingen",
            kind: Kind::Forged,
            genuine_first: Vec::new(),
            request: signed(&undeliverable, &undeliverable, "not-the-key"),
        },
        Attack {
            target: "pingen",
            kind: Kind::Tampered,
            genuine_first: Vec::new(),
            request: signed(&undeliverable, &sent, PINGEN_SECRET),
        },
        Attack {
            target: "pingen",
            kind: Kind::Replayed,
            genuine_first: vec![signed(&sent, &sent, PINGEN_SECRET)],
            request: signed(&sent, &sent, PINGEN_SECRET),
        },
    ]
}

fn stripe(world: &World) -> Vec<Attack> {
    const PATH: &str = "/webhooks/stripe";
    let acme = &world.acme;
    let cents = |amount: &str| -> i64 {
        amount
            .parse::<rust_decimal::Decimal>()
            .map_or(0, |d| (d * rust_decimal::Decimal::from(100)).trunc().try_into().unwrap_or(0))
    };
    let now = world.now().timestamp();
    let event = |cents: i64| {
        serde_json::json!({"id": "evt_check_1", "object": "event", "api_version": "2024-06-20", "created": now,
            "livemode": false, "pending_webhooks": 1, "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_check", "object": "checkout.session", "mode": "payment",
                "amount_subtotal": cents, "amount_total": cents, "currency": "eur", "payment_status": "paid",
                "payment_intent": "pi_check_1", "status": "complete",
                "metadata": {"tenant": acme.tenant.as_str(), "invoice_number": acme.invoice_number,
                             "reminder_id": acme.reminder_id.to_string()}}}})
        .to_string()
    };
    let (paid, more) = (event(cents(&acme.amount)), event(cents(&acme.amount) * 100));
    let signed = |body: &str, signed_body: &str, secret: &str, at: i64| {
        let signature =
            crate::pay::psp::stripe_signature::sign(secret.as_bytes(), at, signed_body.as_bytes());
        Request::json(PATH, body).with_header("Stripe-Signature", signature)
    };
    vec![
        Attack {
            target: "stripe",
            kind: Kind::Unsigned,
            genuine_first: Vec::new(),
            request: Request::json(PATH, &paid),
        },
        Attack {
            target: "stripe",
            kind: Kind::Forged,
            genuine_first: Vec::new(),
            request: signed(&paid, &paid, "whsec_not_the_secret", now),
        },
        Attack {
            target: "stripe",
            kind: Kind::Tampered,
            genuine_first: Vec::new(),
            request: signed(&more, &paid, STRIPE_SECRET, now),
        },
        Attack {
            target: "stripe",
            kind: Kind::Expired,
            genuine_first: Vec::new(),
            request: signed(&paid, &paid, STRIPE_SECRET, now - 3600),
        },
        // The payment recorded once; the captured event sent again, even signed anew, records nothing.
        Attack {
            target: "stripe",
            kind: Kind::Replayed,
            genuine_first: vec![signed(&paid, &paid, STRIPE_SECRET, now)],
            request: signed(&paid, &paid, STRIPE_SECRET, now + 60),
        },
    ]
}
