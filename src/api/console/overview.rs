//! `GET /console`: the login form, or for a live session the tenant's overview: the open amount,
//! what was collected this month, open cases and DSO as figures, and cases by state, the channel
//! mix and open against collected as charts drawn on the server (`charts`), all from the facts
//! `GET /api/v1/stats` is computed from (`crate::learn::overview`), and the DSO per month of the
//! last twelve (`crate::learn::dso_trend`, from the payments of those months): the tenant's
//! summary (`summary`), whose time the page shows ("as of").

use super::charts::{bar_chart, column_chart, Bar, Column};
use super::error::ConsoleError;
use super::i18n::Lang;
use super::money_text::{amount_text, number_text};
use super::pages::{login_page, page, who};
use super::words::Vocabulary;
use crate::api::ApiState;
use crate::learn::dso_trend::dso_by_month;
use crate::learn::overview::overview;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Amounts per currency as every page writes them (`money_text`: `229,90 €` on a German page,
/// `229.90 EUR` on an English one).
fn amounts(lang: Lang, sums: &BTreeMap<String, Decimal>) -> Vec<String> {
    sums.iter().map(|(currency, amount)| amount_text(lang, &amount.to_string(), currency)).collect()
}

/// Days with one decimal, with the page's decimal mark (`12,5` on a German page).
fn days_text(lang: Lang, days: f64) -> String {
    let text = format!("{days:.1}");
    match lang {
        Lang::De => text.replace('.', ","),
        Lang::En => text,
    }
}

/// `GET /console`.
pub async fn home(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(query): Query<super::pages::LangQuery>,
) -> Result<Response, ConsoleError> {
    let lang = Lang::choose(query.lang.as_deref(), &headers);
    let Some((access, _)) = super::auth::session_access(&state, &headers).await? else {
        return Ok(login_page(StatusCode::OK, None, None, lang, query.lang.is_some()));
    };
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let (facts, version) = super::stats::facts(&state, &access.tenant).await?;
    let now = state.clock.now();
    let view = overview(&facts, &console.channel_costs, version, now);
    let trend: Vec<Column> = dso_by_month(&facts.payments, now)
        .into_iter()
        .map(|m| Column {
            label: m.month.format("%m/%y").to_string(),
            value: m.dso_days,
            shown: m.dso_days.map_or("–".to_owned(), |days| days_text(lang, days)),
        })
        .collect();
    let count = |label: &str, n: u64| Bar { label: label.to_owned(), value: n as f64, shown: n.to_string() };
    let by_state: Vec<Bar> = view
        .cases_by_state
        .iter()
        .map(|(s, n)| count(lang.word(Vocabulary::State, s.as_str()), *n))
        .collect();
    let mix: Vec<Bar> =
        view.channel_mix.iter().map(|(c, n)| count(lang.word(Vocabulary::Channel, c.as_str()), *n)).collect();
    let mut money = Vec::new();
    let currencies: std::collections::BTreeSet<&String> =
        view.stats.open.keys().chain(view.collected_this_month.keys()).collect();
    for currency in currencies {
        for (key, sums) in [("open_short", &view.stats.open), ("collected_short", &view.collected_this_month)]
        {
            let amount = sums.get(currency).copied().unwrap_or_default();
            money.push(Bar {
                label: format!("{} {currency}", lang.text(key)),
                value: amount.to_f64().unwrap_or(0.0),
                shown: amount_text(lang, &amount.to_string(), currency),
            });
        }
    }
    let charts = [
        bar_chart(lang.text("cases_by_state"), &by_state, "#0b5c8a"),
        bar_chart(lang.text("channel_mix"), &mix, "#2e7d4f"),
        bar_chart(lang.text("open_and_collected"), &money, "#8a5a0b"),
        column_chart(lang.text("dso_trend"), &trend, "#6a3d9a"),
    ];
    Ok(page(
        StatusCode::OK,
        "overview.html.j2",
        lang,
        query.lang.is_some(),
        context! {
            operator => who(&access), tenant => access.tenant.as_str(),
            open => amounts(lang, &view.stats.open), collected => amounts(lang, &view.collected_this_month),
            nothing => number_text(lang, "0"),
            month => view.month_start.format("%Y-%m").to_string(),
            as_of => view.stats.as_of.format("%Y-%m-%d %H:%M UTC").to_string(),
            open_cases => view.stats.open_cases, cases => view.stats.cases,
            dso => view.stats.dso_days.map(|days| days_text(lang, days)),
            learner_version => view.stats.learner_version, charts,
        },
    ))
}
