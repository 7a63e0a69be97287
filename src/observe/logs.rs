//! The tracing subscriber: human-readable lines on stderr, or one JSON object per line with
//! `MAHNWERK_LOG_FORMAT=json` (for log shippers; the span fields — tenant, case, invoice,
//! reminder — come along in `spans`).

use tracing_subscriber::EnvFilter;

/// Installs the subscriber; `default_filter` applies unless `RUST_LOG` is set. An unknown
/// `MAHNWERK_LOG_FORMAT` is an error naming the accepted values.
pub fn init_logs(default_filter: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match std::env::var("MAHNWERK_LOG_FORMAT").as_deref() {
        Ok("json") => builder.json().with_current_span(true).with_span_list(true).init(),
        Ok("text") | Err(_) => builder.init(),
        Ok(other) => anyhow::bail!("MAHNWERK_LOG_FORMAT: '{other}' is not one of text, json"),
    }
    Ok(())
}
