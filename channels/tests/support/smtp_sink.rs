//! A real SMTP server for tests: accepts plaintext SMTP on 127.0.0.1 and keeps what it receives.
//!
//! Speaks enough of RFC 5321 for lettre (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET,
//! NOOP, QUIT). Depends only on tokio and std because the root crate's integration tests include
//! this file by path as well.
#![allow(dead_code)] // each including test binary uses a different part of it

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The reverse path of `MAIL FROM`, without angle brackets.
    pub mail_from: String,
    /// The forward paths of each accepted `RCPT TO`, without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, CRLF line endings, without the final dot.
    pub data: String,
}

/// A running sink; the server stops when this is dropped.
pub struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    server: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink that accepts every message.
    pub async fn start() -> SmtpSink {
        Self::start_with(None).await
    }

    /// Starts a sink that answers every `RCPT TO` with `code` (e.g. 550 permanent, 451 transient),
    /// to test how a client classifies refusals.
    pub async fn start_rejecting(code: u16) -> SmtpSink {
        Self::start_rejecting_with(code, "recipient refused by test sink").await
    }

    /// Like [`SmtpSink::start_rejecting`] with the reply text after the code, e.g.
    /// `"5.1.1 user unknown"` (a hard bounce) or `"5.7.1 relaying denied"` (a policy refusal).
    pub async fn start_rejecting_with(code: u16, text: &str) -> SmtpSink {
        Self::start_with(Some((code, text.to_owned()))).await
    }

    async fn start_with(reject_rcpt: Option<(u16, String)>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp sink");
        let port = listener.local_addr().expect("sink address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = Arc::clone(&store);
                let reject_rcpt = reject_rcpt.clone();
                tokio::spawn(async move {
                    // A client hanging up mid-session is normal in failure tests; nothing to do.
                    let _ = serve(stream, store, reject_rcpt).await;
                });
            }
        });
        SmtpSink { port, received, server }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything received so far, in order of completion.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("sink lock").clone()
    }

    /// Waits until at least `n` messages arrived or `timeout` passed, then returns what is there.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One SMTP session.
async fn serve(
    stream: TcpStream,
    store: Arc<Mutex<Vec<ReceivedMail>>>,
    reject_rcpt: Option<(u16, String)>,
) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(b"220 sink.test ESMTP ready\r\n").await?;

    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(&mut reader).await? else {
            return Ok(());
        };
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");
        let reply: String = match verb {
            "EHLO" => "250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n".into(),
            "HELO" => "250 sink.test\r\n".into(),
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                mail_from = Some(path_of(&line["MAIL FROM:".len()..]));
                rcpt_to.clear();
                "250 OK\r\n".into()
            }
            "RCPT" if upper.starts_with("RCPT TO:") => match (&reject_rcpt, &mail_from) {
                (Some((code, text)), _) => format!("{code} {text}\r\n"),
                (None, None) => "503 MAIL first\r\n".into(),
                (None, Some(_)) => {
                    rcpt_to.push(path_of(&line["RCPT TO:".len()..]));
                    "250 OK\r\n".into()
                }
            },
            "DATA" if mail_from.is_none() || rcpt_to.is_empty() => "503 need MAIL and RCPT first\r\n".into(),
            "DATA" => {
                writer.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await?;
                let Some(data) = read_data(&mut reader).await? else {
                    return Ok(());
                };
                let mail = ReceivedMail {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                };
                store.lock().expect("sink lock").push(mail);
                "250 OK queued\r\n".into()
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                "250 OK\r\n".into()
            }
            "NOOP" => "250 OK\r\n".into(),
            "QUIT" => {
                writer.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 command not implemented\r\n".into(),
        };
        writer.write_all(reply.as_bytes()).await?;
    }
}

/// Reads one line without its line ending; `None` when the client hung up.
async fn read_line<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<String>> {
    let mut bytes = Vec::new();
    if reader.read_until(b'\n', &mut bytes).await? == 0 {
        return Ok(None);
    }
    // Strip exactly one line ending, CRLF or a bare LF.
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Reads the DATA section up to the lone dot, undoing dot-stuffing (RFC 5321 4.5.2).
async fn read_data<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<String>> {
    let mut data = String::new();
    loop {
        let Some(line) = read_line(reader).await? else {
            return Ok(None);
        };
        if line == "." {
            return Ok(Some(data));
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
        data.push_str("\r\n");
    }
}

/// `<a@b> SIZE=123` -> `a@b`.
fn path_of(argument: &str) -> String {
    let argument = argument.trim();
    match (argument.find('<'), argument.find('>')) {
        (Some(open), Some(close)) if open < close => argument[open + 1..close].to_string(),
        _ => argument.split_whitespace().next().unwrap_or("").to_string(),
    }
}
