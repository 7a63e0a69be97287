//! The name of every metric, with its type, labels and meaning, so that the stages spell none
//! of them and the README's list has one source. Labels hold only bounded values: tenants,
//! channels, sources, reasons as field names, routes as templates — never a token, an address
//! or an invoice number.

/// Counter `{kind, tenant}`: intake messages applied (`kind`: overdue, issued, paid, cancelled,
/// dispute_resolved), duplicates included.
pub const INTAKE_ACCEPTED: &str = "mahnwerk_intake_accepted_total";
/// Counter `{field, tenant}`: intake messages dead-lettered, by the field the reason names
/// (`tenant` is `unknown` when the message named no valid tenant).
pub const INTAKE_REJECTED: &str = "mahnwerk_intake_rejected_total";
/// Counter `{channel, tenant}`: reminders planned.
pub const REMINDERS_PLANNED: &str = "mahnwerk_reminders_planned_total";
/// Counter `{channel, tenant, result}`: delivery attempts by result (`sent`, `failed`, `retry`,
/// `unreachable`, `opted_out`, `skipped`).
pub const DELIVERIES: &str = "mahnwerk_deliveries_total";
/// Histogram `{channel}`: how long the provider (or the sandbox) took to accept one send.
pub const SEND_DURATION: &str = "mahnwerk_send_duration_seconds";
/// Gauge `{queue}`: messages ready in a RabbitMQ queue (passive declare, sampled per scrape):
/// the consumers' lag.
pub const QUEUE_MESSAGES: &str = "mahnwerk_queue_messages";
/// Gauge `{state}`: the reminder outbox (`due`: send time come, not dispatched; `queued`:
/// dispatched, no send result yet), sampled per scrape.
pub const OUTBOX_REMINDERS: &str = "mahnwerk_outbox_reminders";
/// Gauge: stored events the relay has not published yet, sampled per scrape.
pub const EVENTS_UNRELAYED: &str = "mahnwerk_events_unrelayed";
/// Counter: events the relay published.
pub const EVENTS_RELAYED: &str = "mahnwerk_events_relayed_total";
/// Counter `{source, tenant}`: payments recorded (`source`: amqp, api, stripe, bank, …).
pub const PAYMENTS: &str = "mahnwerk_payments_total";
/// Counter `{reward}`: outcomes the learner learned (`reward`: `paid` or `unpaid`).
pub const LEARNER_OUTCOMES: &str = "mahnwerk_learner_outcomes_total";
/// Gauge: the version of the policy snapshot the learner last wrote.
pub const LEARNER_SNAPSHOT_VERSION: &str = "mahnwerk_learner_snapshot_version";
/// Gauge: the version of the policy snapshot the scheduler decides with (0: none yet).
pub const POLICY_VERSION: &str = "mahnwerk_policy_snapshot_loaded_version";
/// Counter `{route, method, status}`: HTTP requests, by the matched route template
/// (`/pay/{token}`), never the raw path.
pub const HTTP_REQUESTS: &str = "mahnwerk_http_requests_total";
/// Histogram `{route}`: HTTP request durations.
pub const HTTP_DURATION: &str = "mahnwerk_http_request_duration_seconds";

/// Registers every metric's help text (shown as `# HELP` by `/metrics`).
pub(super) fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(INTAKE_ACCEPTED, "Intake messages applied, by kind and tenant.");
    describe_counter!(INTAKE_REJECTED, "Intake messages dead-lettered, by the field named and tenant.");
    describe_counter!(REMINDERS_PLANNED, "Reminders planned, by channel and tenant.");
    describe_counter!(DELIVERIES, "Delivery attempts, by channel, tenant and result.");
    describe_histogram!(SEND_DURATION, Unit::Seconds, "Time a provider took to accept one send.");
    describe_gauge!(QUEUE_MESSAGES, "Messages ready in a queue (sampled when scraped).");
    describe_gauge!(OUTBOX_REMINDERS, "Reminders due but not dispatched, and dispatched without a result.");
    describe_gauge!(EVENTS_UNRELAYED, "Stored events not yet published by the relay.");
    describe_counter!(EVENTS_RELAYED, "Events published by the relay.");
    describe_counter!(PAYMENTS, "Payments recorded, by source and tenant.");
    describe_counter!(LEARNER_OUTCOMES, "Outcomes learned, by reward.");
    describe_gauge!(LEARNER_SNAPSHOT_VERSION, "Version of the policy snapshot the learner last wrote.");
    describe_gauge!(POLICY_VERSION, "Version of the policy snapshot decisions are made with.");
    describe_counter!(HTTP_REQUESTS, "HTTP requests, by route template, method and status.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP request durations, by route template.");
}

/// Every metric, for the checks below.
#[cfg(test)]
const ALL: [&str; 15] = [
    INTAKE_ACCEPTED,
    INTAKE_REJECTED,
    REMINDERS_PLANNED,
    DELIVERIES,
    SEND_DURATION,
    QUEUE_MESSAGES,
    OUTBOX_REMINDERS,
    EVENTS_UNRELAYED,
    EVENTS_RELAYED,
    PAYMENTS,
    LEARNER_OUTCOMES,
    LEARNER_SNAPSHOT_VERSION,
    POLICY_VERSION,
    HTTP_REQUESTS,
    HTTP_DURATION,
];

#[cfg(test)]
mod tests {
    use super::ALL;

    /// The `mahnwerk_…` names in `text`, a histogram's `_bucket` series under its own name.
    fn names_in(text: &str) -> std::collections::BTreeSet<String> {
        let mut found = std::collections::BTreeSet::new();
        for (at, _) in text.match_indices("mahnwerk_") {
            let name: String =
                text[at..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
            let name = name.strip_suffix("_bucket").unwrap_or(&name).to_owned();
            if name.len() > "mahnwerk_".len() {
                found.insert(name);
            }
        }
        found
    }

    #[test]
    fn the_dashboard_uses_only_metrics_that_exist() {
        let dashboard = include_str!("../../ops/grafana/mahnwerk.json");
        let used = names_in(dashboard);
        let unknown: Vec<_> = used.iter().filter(|name| !ALL.contains(&name.as_str())).collect();
        assert!(unknown.is_empty(), "the dashboard queries metrics nobody records: {unknown:?}");
        assert!(used.len() >= 12, "the dashboard shows most metrics: {used:?}");
    }

    #[test]
    fn the_readme_lists_every_metric() {
        let readme = include_str!("../../README.md");
        let missing: Vec<_> = ALL.iter().filter(|name| !readme.contains(&format!("`{name}`"))).collect();
        assert!(missing.is_empty(), "README's Observability section lacks {missing:?}");
    }
}
