//! Recommended items on the thank-you view: which of them the page shows, and `GET /r/{token}`,
//! the signed click link of each ([`crate::pay::page::click`]). A verified click is recorded as
//! `recommendation.clicked` and answered with 303 to the item's page; a forged, expired or
//! unknown one gets 404 and changes nothing.

use super::ApiState;
use crate::pay::page::click::Click;
use crate::pay::page::recommended::{shown as page_items, Shown};
use crate::runtime::{EventBody, NewEvent};
use crate::store::PayCase;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// The items a paid case's page shows: those the catalogue still has as active. Nothing when
/// the store cannot say (the page itself still answers).
pub(super) async fn shown(state: &ApiState, case: &PayCase, language: &'static str) -> Vec<Shown> {
    if case.recommendations.is_empty() {
        return Vec::new();
    }
    let catalogue = async {
        let mut tx = state.store.begin().await?;
        let items = tx.catalogue(&case.tenant).await?;
        tx.rollback().await?;
        Ok::<_, crate::store::StoreError>(items)
    };
    match catalogue.await {
        Ok(items) => {
            let by_sku: HashMap<_, _> = items.into_iter().map(|item| (item.sku.clone(), item)).collect();
            page_items(case, &by_sku, &state.links, language, state.clock.now())
        }
        Err(error) => {
            tracing::warn!(%error, "catalogue unavailable: the thank-you view shows no recommendations");
            Vec::new()
        }
    }
}

/// `GET /r/{token}`.
pub(super) async fn click(State(state): State<ApiState>, Path(token): Path<String>) -> Response {
    let now = state.clock.now();
    let not_found = || (StatusCode::NOT_FOUND, "This link is not valid.").into_response();
    let Ok(click) = Click::verify(&state.links, &token, now) else { return not_found() };
    let recorded = async {
        let mut tx = state.store.begin().await?;
        let Some(recommendation) = tx.recommendation(&click.tenant, click.case_id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let Some(item) = recommendation.items.iter().find(|item| item.rank == click.rank) else {
            tx.rollback().await?;
            return Ok(None);
        };
        let body = EventBody::RecommendationClicked {
            model_version: recommendation.model_version,
            rank: item.rank,
            sku: item.sku.clone(),
        };
        tx.append_events(&[NewEvent::from(&recommendation.subject.event(now, body))]).await?;
        tx.commit().await?;
        Ok::<_, crate::store::StoreError>(Some(item.url.clone()))
    };
    match recorded.await {
        Ok(Some(url)) => (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response(),
        Ok(None) => not_found(),
        Err(error) => {
            tracing::warn!(%error, "recording a recommendation click failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response()
        }
    }
}
