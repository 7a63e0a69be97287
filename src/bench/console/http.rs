//! The load generator's HTTP client: one keep-alive HTTP/1.1 connection sending `GET`s with the
//! caller's credentials and reading each answer whole, written by hand so that the generator
//! costs little of the two cores it shares with the server it measures.

use anyhow::{bail, Context};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection to the server under test.
pub struct Connection {
    addr: SocketAddr,
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self { addr, stream, buffer: Vec::with_capacity(64 * 1024) })
    }

    /// `GET path` with `headers` (each a whole line, such as `Authorization: Bearer …`): the
    /// answer's status, once the whole body is read.
    pub async fn get(&mut self, path: &str, headers: &str) -> anyhow::Result<u16> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{headers}\r\n", self.addr);
        self.stream.write_all(request.as_bytes()).await?;
        self.buffer.clear();
        let mut chunk = [0u8; 16 * 1024];
        let header_end = loop {
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                bail!("{path}: the server closed the connection");
            }
            self.buffer.extend_from_slice(&chunk[..read]);
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = std::str::from_utf8(&self.buffer[..header_end]).context("the answer's head")?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("{path}: no status in {:?}", head.lines().next()))?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok()).flatten()
            })
            .with_context(|| format!("{path}: an answer without content-length"))?;
        while self.buffer.len() < header_end + length {
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                bail!("{path}: the server closed the connection mid-body");
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
        Ok(status)
    }
}
