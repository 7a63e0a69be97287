//! The frame of the OpenAPI document: title, the two ways to authenticate, tags. The paths and
//! schemas come from the handlers' `#[utoipa::path]` attributes, so the document cannot drift
//! from the routes (`utoipa_axum` registers both from the same list).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mahnwerk console API",
        description = "The creditor's HTTP API: hand over invoices, watch every case, step in. \
                       Authenticate with an API key (`Authorization: Bearer mwk_…`) or a console \
                       session cookie (writes then need `X-CSRF-Token`). See docs/console.md."
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "invoices", description = "Invoices in, as over AMQP (mahnwerk.invoice.v1)"),
        (name = "cases", description = "Cases, their timeline and interventions"),
        (name = "debtors", description = "Debtors: contact data, consent, cases, Mahnstopp"),
        (name = "audit", description = "Every operator intervention"),
        (name = "exports", description = "Bookings for the creditor's bookkeeping (CSV, DATEV)"),
        (name = "stats", description = "The tenant's figures"),
        (name = "plans", description = "Dunning plans, and their reminder templates checked and previewed"),
        (name = "accounts", description = "A tenant's operators and API keys: the installation's super-admin \
                                           for every tenant, a tenant's admin for its own")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::auth::SESSION_COOKIE))),
        );
    }
}
