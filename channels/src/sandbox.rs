//! Sandbox transports for SMS, WhatsApp, Messenger and letters: one JSON line per message in
//! `{dir}/{kind}.jsonl`, so the embedded mode and tests can see what would have been sent.
//! Letters are also printed, as `{dir}/letters/{idempotency_key}.pdf` (see [`crate::letter`]).

use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::error::check_idempotency_key;
use crate::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};

/// Appends messages of one medium to `{dir}/{kind}.jsonl`, each line
/// `{"idempotency_key":…,"at":…,"kind":…,"message":{…}}`.
///
/// A key is written at most once per file: keys already in the file when it is first opened and
/// keys sent since are remembered, and a repeat answers the same receipt without appending.
#[derive(Debug)]
pub struct SandboxChannel {
    kind: ChannelKind,
    path: PathBuf,
    /// Where letters are printed to; `None` for the other media.
    letters: Option<PathBuf>,
    // One lock over the file and the sent keys: checking for a key and appending its line must be
    // a single step, or two concurrent retries of one key would both append. The lock also keeps
    // lines from interleaving, and it is a tokio lock because it is held across the write.
    outbox: Mutex<Outbox>,
}

#[derive(Debug, Default)]
struct Outbox {
    file: Option<File>,
    sent: HashSet<String>,
}

#[derive(Serialize)]
struct Line<'a> {
    idempotency_key: &'a str,
    at: String,
    // Flattened, the message's own serde shape supplies `"kind"` and `"message"`.
    #[serde(flatten)]
    message: &'a OutgoingMessage,
}

#[derive(Deserialize)]
struct SentKey {
    idempotency_key: String,
}

impl SandboxChannel {
    /// A sandbox for `kind` writing under `dir`. Meant for SMS, WhatsApp, Messenger and letters;
    /// email has [`SandboxEmail`](crate::email::SandboxEmail), which writes real `.eml` files.
    /// A letter sandbox also writes each letter as a PDF, see [`SandboxChannel::letter_path`].
    pub fn new(kind: ChannelKind, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let path = dir.join(format!("{kind}.jsonl"));
        let letters = (kind == ChannelKind::Letter).then(|| dir.join("letters"));
        SandboxChannel { kind, path, letters, outbox: Mutex::new(Outbox::default()) }
    }

    /// The file this sandbox appends to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where a letter sandbox prints the letter sent with `idempotency_key`:
    /// `{dir}/letters/{idempotency_key}.pdf`. `None` for the other media.
    pub fn letter_path(&self, idempotency_key: &str) -> Option<PathBuf> {
        self.letters.as_ref().map(|dir| dir.join(format!("{idempotency_key}.pdf")))
    }

    fn receipt(&self, idempotency_key: &str) -> SendReceipt {
        SendReceipt { provider_id: format!("sandbox-{}-{idempotency_key}", self.kind) }
    }

    fn io_error(&self, e: std::io::Error) -> SendError {
        SendError::transient(format!("could not write {}: {e}", self.path.display()))
    }
}

#[async_trait]
impl Channel for SandboxChannel {
    fn kind(&self) -> ChannelKind {
        self.kind
    }

    /// The receipt's `provider_id` is `sandbox-{kind}-{idempotency_key}`.
    #[tracing::instrument(skip_all, fields(channel = %self.kind, transport = "sandbox"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        if message.kind() != self.kind {
            return Err(SendError::wrong_medium(self.kind, message.kind()));
        }
        check_idempotency_key(idempotency_key)?;

        let mut outbox = self.outbox.lock().await;
        if outbox.file.is_none() {
            let (file, sent) = open(&self.path).await.map_err(|e| self.io_error(e))?;
            outbox.file = Some(file);
            outbox.sent.extend(sent);
        }
        if outbox.sent.contains(idempotency_key) {
            return Ok(self.receipt(idempotency_key));
        }
        // The PDF first: a letter that cannot be printed fails before its line is written, and a
        // crash between the two leaves a PDF that the retry overwrites, never a line without one.
        if let (OutgoingMessage::Letter(letter), Some(path)) = (message, self.letter_path(idempotency_key)) {
            let pdf = crate::letter::render_pdf(letter)?;
            write_whole(&path, &pdf)
                .await
                .map_err(|e| SendError::transient(format!("could not write {}: {e}", path.display())))?;
        }

        let line =
            Line { idempotency_key, at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true), message };
        let mut bytes = serde_json::to_vec(&line)
            .map_err(|e| SendError::permanent(format!("could not serialise the message: {e}")))?;
        bytes.push(b'\n');

        let file = outbox.file.as_mut().expect("opened above");
        let written = async {
            file.write_all(&bytes).await?;
            // tokio writes in the background; flush so the line is on disk before we say "sent".
            file.flush().await
        }
        .await;
        if let Err(e) = written {
            // A failed write may leave part of a line; reopening repairs the tail (see `open`).
            outbox.file = None;
            return Err(self.io_error(e));
        }
        outbox.sent.insert(idempotency_key.to_owned());
        Ok(self.receipt(idempotency_key))
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it, so that a reader never sees
/// half a PDF.
async fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let partial = path.with_extension("pdf.partial");
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, path).await
}

/// Opens `path` for appending and reads back the keys it already holds, so that a restarted
/// process does not append a reminder it wrote before the restart.
async fn open(path: &Path) -> std::io::Result<(File, HashSet<String>)> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let existing = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    // Lines that do not parse (a torn last line after a crash) are skipped, not fatal.
    let sent = existing
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<SentKey>(line).ok())
        .map(|line| line.idempotency_key)
        .collect();

    let mut file = OpenOptions::new().create(true).append(true).open(path).await?;
    // End a torn last line so the next message starts on a line of its own.
    if existing.last().is_some_and(|&b| b != b'\n') {
        file.write_all(b"\n").await?;
        file.flush().await?;
    }
    Ok((file, sent))
}
