//! The provider of the fault benchmark: a plaintext SMTP server on 127.0.0.1 that the delivery
//! processes send every reminder email to, and that counts each message by its `Message-ID` the
//! moment it has received it (the lone dot after `DATA`), whether or not the sender lives to read
//! the reply. mahnwerk derives the `Message-ID` from the reminder's idempotency key
//! (`<rem-<case>-<stage>@…>`), so a second count of one id is a second email in a debtor's inbox:
//! unlike the sandbox's files, which a resend overwrites, nothing here hides a duplicate.
//!
//! It speaks what lettre needs of RFC 5321: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET,
//! NOOP, QUIT.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server has received so far.
#[derive(Debug, Default, Clone)]
pub struct Received {
    /// Messages received, each counted once per `DATA`.
    pub messages: u64,
    /// How many times each `Message-ID` (angle brackets removed) arrived.
    pub by_message_id: HashMap<String, u32>,
    /// Messages without a `Message-ID` header (none are expected).
    pub without_id: u64,
}

impl Received {
    /// Distinct message ids received.
    pub fn distinct(&self) -> u64 {
        self.by_message_id.len() as u64
    }

    /// Messages beyond the first of each id.
    pub fn duplicates(&self) -> u64 {
        self.by_message_id.values().map(|n| u64::from(n.saturating_sub(1))).sum()
    }
}

/// A running server; it stops when dropped.
pub struct SmtpCounter {
    port: u16,
    received: Arc<Mutex<Received>>,
    server: JoinHandle<()>,
}

impl SmtpCounter {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(Mutex::new(Received::default()));
        let counts = Arc::clone(&received);
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counts = Arc::clone(&counts);
                // A sender killed mid-session hangs up; that ends its session and nothing else.
                tokio::spawn(async move {
                    let _ = serve(stream, counts).await;
                });
            }
        });
        Ok(Self { port, received, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A copy of the counts so far.
    pub fn received(&self) -> Received {
        self.received.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// (messages received, distinct ids) without copying the map.
    pub fn totals(&self) -> (u64, u64) {
        let received = self.received.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (received.messages, received.distinct())
    }
}

impl Drop for SmtpCounter {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One SMTP session.
async fn serve(stream: TcpStream, counts: Arc<Mutex<Received>>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(b"220 faults.bench ESMTP\r\n").await?;
    let (mut from, mut recipients) = (false, 0usize);
    while let Some(line) = read_line(&mut reader).await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = match upper.split_whitespace().next().unwrap_or("") {
            "EHLO" => b"250-faults.bench\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n",
            "HELO" => b"250 faults.bench\r\n",
            "MAIL" => {
                (from, recipients) = (true, 0);
                b"250 OK\r\n"
            }
            "RCPT" if from => {
                recipients += 1;
                b"250 OK\r\n"
            }
            "RCPT" => b"503 MAIL first\r\n",
            "DATA" if !from || recipients == 0 => b"503 MAIL and RCPT first\r\n",
            "DATA" => {
                writer.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let Some(id) = read_data(&mut reader).await? else { return Ok(()) };
                count(&counts, id);
                (from, recipients) = (false, 0);
                b"250 OK\r\n"
            }
            "RSET" => {
                (from, recipients) = (false, 0);
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                writer.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        writer.write_all(reply).await?;
    }
    Ok(())
}

fn count(counts: &Mutex<Received>, id: Option<String>) {
    let mut counts = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    counts.messages += 1;
    match id {
        Some(id) => *counts.by_message_id.entry(id).or_default() += 1,
        None => counts.without_id += 1,
    }
}

/// One line without its line ending; `None` when the client hung up.
async fn read_line<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<String>> {
    let mut bytes = Vec::new();
    if reader.read_until(b'\n', &mut bytes).await? == 0 {
        return Ok(None);
    }
    while matches!(bytes.last(), Some(b'\n' | b'\r')) {
        bytes.pop();
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Reads the message up to the lone dot and returns its `Message-ID`, if its header has one;
/// the outer `None`: the client hung up before the end (nothing was received).
async fn read_data<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<Option<String>>> {
    let (mut in_header, mut id) = (true, None);
    loop {
        let Some(line) = read_line(reader).await? else { return Ok(None) };
        if line == "." {
            return Ok(Some(id));
        }
        if line.is_empty() {
            in_header = false;
        }
        if in_header && id.is_none() {
            id = message_id(&line);
        }
    }
}

/// The id of a `Message-ID: <id>` header line, without the angle brackets.
fn message_id(line: &str) -> Option<String> {
    let (name, value) = line.split_once(':')?;
    if !name.trim().eq_ignore_ascii_case("message-id") {
        return None;
    }
    let value = value.trim().trim_start_matches('<').trim_end_matches('>');
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_is_read_from_its_header_line_alone() {
        assert_eq!(message_id("Message-ID: <rem-7-0@example.org>").as_deref(), Some("rem-7-0@example.org"));
        assert_eq!(message_id("message-id:<rem-7-0@example.org>").as_deref(), Some("rem-7-0@example.org"));
        assert_eq!(message_id("In-Reply-To: <rem-7-0@example.org>"), None);
        assert_eq!(message_id("Message-ID: "), None);
    }

    #[tokio::test]
    async fn a_resent_message_is_counted_twice_under_its_id() {
        let counter = SmtpCounter::start().await.unwrap();
        for id in ["a@x", "b@x", "a@x"] {
            let stream = TcpStream::connect(("127.0.0.1", counter.port())).await.unwrap();
            let (reader, mut writer) = stream.into_split();
            let mut reader = BufReader::new(reader);
            let session = format!(
                "EHLO t\r\nMAIL FROM:<f@x>\r\nRCPT TO:<t@x>\r\nDATA\r\nMessage-ID: <{id}>\r\nSubject: s\r\n\r\n..body\r\n.\r\nQUIT\r\n"
            );
            writer.write_all(session.as_bytes()).await.unwrap();
            let mut replies = String::new();
            while let Some(line) = read_line(&mut reader).await.unwrap() {
                replies.push_str(&line);
                replies.push('\n');
            }
            assert!(replies.contains("221 bye"), "{replies}");
        }
        let received = counter.received();
        assert_eq!((received.messages, received.distinct(), received.duplicates()), (3, 2, 1));
        assert_eq!(received.by_message_id["a@x"], 2);
    }
}
