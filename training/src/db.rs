//! The service's database as the analysts' commands open it: through the service's own
//! [`Store`](mahnwerk::store::Store) (PostgreSQL or SQLite URL), on a small runtime of their own.

use anyhow::Context as _;
use mahnwerk::store::Store;
use std::future::Future;
use std::sync::Arc;

/// Runs `work` to completion on a single-threaded runtime: these commands wait on one database
/// connection at a time.
pub fn block_on<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting a runtime")?
        .block_on(work)
}

/// Opens the store `url` names and applies the service's migrations (idempotent, as the service
/// does when it starts), so that a database the service has not yet upgraded still works.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    mahnwerk::store::open(url).await.with_context(|| format!("opening the database {}", redacted(url)))
}

/// `url` without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(super::redacted("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(super::redacted("sqlite://./x.db"), "sqlite://./x.db");
    }
}
