//! Sandbox email: the fully formatted message written to `{dir}/email/{key}.eml` instead of sent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::{build_email, expect_email, DkimSigner};
use crate::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};

/// Writes each email as an `.eml` file that any mail client opens. The file is named after the
/// idempotency key, so a resend overwrites its own file instead of adding a second one.
#[derive(Debug, Clone)]
pub struct SandboxEmail {
    dir: PathBuf,
    dkim: Option<DkimSigner>,
    /// One file write at a time: concurrent creates and renames in one folder only fight over
    /// its lock (measured: more time in the kernel's directory lock than in writing).
    writing: Arc<tokio::sync::Mutex<()>>,
}

impl SandboxEmail {
    /// `dir` is the outbox root; files go to its `email/` folder, created on first send.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SandboxEmail { dir: dir.into(), dkim: None, writing: Arc::default() }
    }

    /// Signs each `.eml` as the SMTP transport would, to check a DKIM setup before going live.
    pub fn with_dkim(mut self, signer: DkimSigner) -> Self {
        self.dkim = Some(signer);
        self
    }

    /// The folder the `.eml` files are written to.
    pub fn email_dir(&self) -> PathBuf {
        self.dir.join("email")
    }
}

#[async_trait]
impl Channel for SandboxEmail {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    /// The receipt's `provider_id` is the file name, `{idempotency_key}.eml`.
    #[tracing::instrument(skip_all, fields(channel = "email", transport = "sandbox"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let built = build_email(idempotency_key, expect_email(message)?, self.dkim.as_ref())?;
        let file_name = format!("{idempotency_key}.eml");
        let dir = self.email_dir();
        let _one_at_a_time = self.writing.lock().await;
        write_atomically(&dir, &file_name, &built.message.formatted())
            .await
            .map_err(|e| SendError::transient(format!("could not write {}: {e}", dir.display())))?;
        Ok(SendReceipt { provider_id: file_name })
    }
}

/// Writes to a hidden temporary file and renames it into place, so a reader (or a crash) never
/// sees half an email, and two sends of the same key each replace the file whole. The three file
/// operations run in one blocking task rather than three.
async fn write_atomically(dir: &Path, file_name: &str, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{file_name}.{}-{unique}.tmp", std::process::id()));
    let (dir, target, bytes) = (dir.to_owned(), dir.join(file_name), bytes.to_vec());
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, target).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
    })
    .await
    .map_err(std::io::Error::other)?
}
