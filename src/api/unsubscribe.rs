//! The unsubscribe link in every reminder email: `GET /unsubscribe/{token}` shows a page with one
//! button, and `POST /unsubscribe/{token}` records the opt-out in the consent ledger. The POST is
//! also RFC 8058's one-click unsubscribe (`List-Unsubscribe=One-Click`), which mail clients send
//! without showing anything. A GET never unsubscribes: mail scanners open links on their own.
//!
//! The token is the signed link of [`crate::deliver::links`]; a forged one gets 401, an expired
//! one 410, and neither changes anything. The page carries no sender branding beyond the words.

use super::ApiState;
use crate::deliver::{LinkClaims, LinkError, LinkPurpose};
use crate::domain::ChannelKind;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The confirmation page: what the button will do, and the button.
pub(super) async fn page(State(state): State<ApiState>, Path(token): Path<String>) -> Response {
    match unsubscribe_claims(&state, &token) {
        Ok((_, channel)) => Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{STYLE}<title>Abmelden / Unsubscribe</title></head>\
             <body><h1>Abmelden / Unsubscribe</h1>\
             <p>Keine Zahlungserinnerungen mehr per {de} erhalten? Offene Rechnungen bleiben offen; wir erinnern \
             Sie dann auf anderem Weg.</p>\
             <p>Stop receiving payment reminders by {en}? Open invoices stay open; we will remind you another \
             way.</p>\
             <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">Abmelden / Unsubscribe</button></form></body></html>",
            de = german_name(channel),
            en = channel.as_str(),
        ))
        .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Records the opt-out for the debtor the link was sent to.
pub(super) async fn confirm(State(state): State<ApiState>, Path(token): Path<String>) -> Response {
    let now = state.clock.now();
    let (claims, channel) = match unsubscribe_claims(&state, &token) {
        Ok(claimed) => claimed,
        Err(refusal) => return refusal.into_response(),
    };
    let job = match state.store.delivery_jobs(&[claims.reminder_id]).await {
        Ok(jobs) => jobs.into_iter().find(|job| job.tenant == claims.tenant),
        Err(error) => {
            tracing::warn!(%error, "unsubscribe not recorded");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again in a moment").into_response();
        }
    };
    let Some(job) = job else {
        // Signed by us, so the reminder existed; it may have been removed since. Nothing to do.
        return (StatusCode::NOT_FOUND, "unknown link").into_response();
    };
    match crate::deliver::unsubscribe(state.store.as_ref(), &job, channel, now).await {
        Ok(true) => {}
        // Already unsubscribed there: the same answer, and nothing written.
        Ok(false) => {
            tracing::info!(reminder_id = claims.reminder_id, %channel, "unsubscribe already in force")
        }
        Err(error) => {
            tracing::warn!(%error, "unsubscribe not recorded");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again in a moment").into_response();
        }
    }
    tracing::info!(reminder_id = claims.reminder_id, %channel, "debtor unsubscribed");
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{STYLE}<title>Abgemeldet / Unsubscribed</title></head>\
         <body><h1>Abgemeldet / Unsubscribed</h1><p>Sie erhalten auf diesem Weg keine Zahlungserinnerungen mehr.</p>\
         <p>You will receive no more payment reminders this way.</p></body></html>",
    ))
    .into_response()
}

/// What an unsubscribe token says and the channel it is for, or why it is refused.
fn unsubscribe_claims(
    state: &ApiState,
    token: &str,
) -> Result<(LinkClaims, ChannelKind), (StatusCode, &'static str)> {
    match state.links.verify(token, state.clock.now()) {
        Ok(claims) => match claims.purpose {
            LinkPurpose::Unsubscribe(channel) => Ok((claims, channel)),
            LinkPurpose::Pay => Err((StatusCode::BAD_REQUEST, "this is not an unsubscribe link")),
        },
        Err(LinkError::Malformed) => Err((StatusCode::BAD_REQUEST, "the link is malformed")),
        Err(LinkError::BadSignature) => Err((StatusCode::UNAUTHORIZED, "the link is not valid")),
        Err(LinkError::Expired { .. }) => Err((StatusCode::GONE, "the link expired")),
    }
}

/// Readable on a phone: the system font at a comfortable size, a button a thumb can hit.
const STYLE: &str = "<style>body{font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem;margin:0 auto;padding:1rem}\
     button{font:inherit;font-weight:600;padding:.7rem 1.2rem;min-height:44px}</style>";

fn german_name(channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::Email => "E-Mail",
        ChannelKind::Sms => "SMS",
        ChannelKind::Whatsapp => "WhatsApp",
        ChannelKind::Messenger => "Messenger",
        ChannelKind::Letter => "Brief",
    }
}
