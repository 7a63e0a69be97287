//! Sandbox email: the fully formatted message written to `{dir}/email/{key}.eml` instead of sent.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::oneshot;

use super::{build_email, expect_email, DkimSigner};
use crate::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};

/// Writes each email as an `.eml` file that any mail client opens. The file is named after the
/// idempotency key, so a resend overwrites its own file instead of adding a second one.
#[derive(Debug, Clone)]
pub struct SandboxEmail {
    dir: PathBuf,
    dkim: Option<DkimSigner>,
    writer: Arc<FileWriter>,
}

impl SandboxEmail {
    /// `dir` is the outbox root; files go to its `email/` folder, created on first send.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SandboxEmail { dir: dir.into(), dkim: None, writer: Arc::default() }
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
        self.writer
            .write_atomically(&dir, &file_name, built.message.formatted())
            .await
            .map_err(|e| SendError::transient(format!("could not write {}: {e}", dir.display())))?;
        Ok(SendReceipt { provider_id: file_name })
    }
}

/// One thread that writes the files, one after the other, for every send of a transport.
///
/// One at a time, because concurrent creates and renames in one folder only fight over its lock
/// (measured: more time in the kernel's directory lock than in writing). On a thread of its own
/// rather than a blocking task per file, because a file is written in microseconds and handing
/// each one to the blocking pool and back cost more than that in thread wake-ups: with many
/// sends in flight the thread finds the next file waiting and writes on without sleeping.
#[derive(Debug, Default)]
struct FileWriter {
    /// Started on the first write; ends when the transport (every clone of it) is dropped.
    jobs: Mutex<Option<mpsc::Sender<WriteJob>>>,
}

struct WriteJob {
    temp: PathBuf,
    target: PathBuf,
    bytes: Vec<u8>,
    done: oneshot::Sender<io::Result<()>>,
}

impl FileWriter {
    /// Writes to a hidden temporary file and renames it into place, so a reader (or a crash)
    /// never sees half an email, and two sends of the same key each replace the file whole.
    async fn write_atomically(&self, dir: &Path, file_name: &str, bytes: Vec<u8>) -> io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{file_name}.{}-{unique}.tmp", std::process::id()));
        let (done, outcome) = oneshot::channel();
        let job = WriteJob { temp, target: dir.join(file_name), bytes, done };
        self.sender()?.send(job).map_err(|_| io::Error::other("the outbox writer thread ended"))?;
        outcome.await.map_err(|_| io::Error::other("the outbox writer thread ended"))?
    }

    fn sender(&self) -> io::Result<mpsc::Sender<WriteJob>> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = jobs.as_ref() {
            return Ok(sender.clone());
        }
        let (sender, receiver) = mpsc::channel::<WriteJob>();
        std::thread::Builder::new().name("outbox-writer".into()).spawn(move || {
            for job in receiver {
                // The sender gave up waiting (its send was cancelled): the file is still written.
                let _ = job.done.send(write_file(&job.temp, &job.target, &job.bytes));
            }
        })?;
        *jobs = Some(sender.clone());
        Ok(sender)
    }
}

/// `temp` and `target` are in the same folder, created here if it does not exist yet.
fn write_file(temp: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Err(error) = std::fs::write(temp, bytes) {
        if error.kind() != io::ErrorKind::NotFound {
            return Err(error);
        }
        // The first file of the folder.
        std::fs::create_dir_all(target.parent().unwrap_or(Path::new(".")))?;
        std::fs::write(temp, bytes)?;
    }
    std::fs::rename(temp, target).inspect_err(|_| {
        let _ = std::fs::remove_file(temp);
    })
}
