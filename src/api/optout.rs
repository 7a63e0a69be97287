//! The opt-out link of every thank-you message: `GET /optout/{token}` shows a page with one
//! button, and `POST /optout/{token}` records the debtor's objection to marketing on the channel
//! the message went out on ([`crate::hooks::thanks::optout`]). The POST is also RFC 8058's
//! one-click unsubscribe, which mail clients send without showing anything; a GET never objects
//! (mail scanners open links on their own). A forged token gets 401, an expired one 410, and
//! neither changes anything; a replayed POST writes nothing more.

use super::ApiState;
use crate::deliver::LinkError;
use crate::hooks::thanks::optout::{record_objection, Objection, OptOut};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The confirmation page.
pub(super) async fn page(State(state): State<ApiState>, Path(token): Path<String>) -> Response {
    if let Err(refusal) = verify(&state, &token) {
        return refusal.into_response();
    }
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{STYLE}\
         <title>Keine Empfehlungen mehr / No more recommendations</title></head>\
         <body><h1>Keine Empfehlungen mehr / No more recommendations</h1>\
         <p>Keine Produktempfehlungen mehr auf diesem Weg erhalten? Rechnungen und Zahlungserinnerungen \
         erreichen Sie weiterhin.</p>\
         <p>Stop receiving product recommendations this way? Invoices and payment reminders still reach you.</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">Abmelden / Opt out</button></form></body></html>"
    ))
    .into_response()
}

/// Records the objection.
pub(super) async fn confirm(State(state): State<ApiState>, Path(token): Path<String>) -> Response {
    let opt_out = match verify(&state, &token) {
        Ok(opt_out) => opt_out,
        Err(refusal) => return refusal.into_response(),
    };
    match record_objection(state.store.as_ref(), &opt_out, state.clock.now()).await {
        Ok(Objection::Recorded(channel)) => {
            tracing::info!(message_id = opt_out.message_id, %channel, "objection to marketing recorded")
        }
        Ok(Objection::AlreadyInForce(channel)) => {
            tracing::info!(message_id = opt_out.message_id, %channel, "objection to marketing already in force")
        }
        Ok(Objection::LaterConsentInForce(channel)) => {
            let message_id = opt_out.message_id;
            tracing::warn!(message_id, %channel, "objection to marketing older than a consent in force");
            return (StatusCode::CONFLICT, "a later consent is in force; try again in a moment")
                .into_response();
        }
        // Signed by us, so the message existed; it may have been removed since.
        Ok(Objection::UnknownMessage) => return (StatusCode::NOT_FOUND, "unknown link").into_response(),
        Err(error) => {
            tracing::warn!(%error, "objection to marketing not recorded");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again in a moment").into_response();
        }
    }
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{STYLE}<title>Abgemeldet / Opted out</title></head>\
         <body><h1>Abgemeldet / Opted out</h1><p>Sie erhalten auf diesem Weg keine Produktempfehlungen mehr.</p>\
         <p>You will receive no more product recommendations this way.</p></body></html>"
    ))
    .into_response()
}

fn verify(state: &ApiState, token: &str) -> Result<OptOut, (StatusCode, &'static str)> {
    OptOut::verify(&state.links, token, state.clock.now()).map_err(|error| match error {
        LinkError::Malformed => (StatusCode::BAD_REQUEST, "the link is malformed"),
        LinkError::BadSignature => (StatusCode::UNAUTHORIZED, "the link is not valid"),
        LinkError::Expired { .. } => (StatusCode::GONE, "the link expired"),
    })
}

/// Readable on a phone: the system font at a comfortable size, a button a thumb can hit.
const STYLE: &str = "<style>body{font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem;margin:0 auto;padding:1rem}\
     button{font:inherit;font-weight:600;padding:.7rem 1.2rem;min-height:44px}</style>";
