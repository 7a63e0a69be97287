//! `mahnwerk policy serve --stdio`: the policy protocol of docs/policy-protocol.md over JSON lines, so that
//! outside tools and evaluation harnesses can drive the learner.
//!
//! ```text
//! -> {"op":"decide","id":"d1","debtor":"C-1001","context":{"amount":123.4,"segment":"b2c"},"channels":["email","sms"],"hours":[9,10,18,19]}
//! <- {"id":"d1","channel":"sms","hour":18,"propensity":0.41}
//! -> {"op":"outcome","id":"d1","reward":1.0}          (no answer)
//! -> {"op":"flush"}
//! <- {"ok":true}
//! ```
//!
//! One answer line per `decide` and per `flush`, in request order. Stdout is flushed whenever no
//! further request is waiting, so a client that waits for each answer gets it at once, while a
//! client that streams a batch gets its answers in large writes. Reading and parsing run on a
//! second thread ahead of the learner (the protocol's two cores: one reads JSON, one decides);
//! the learner still handles the requests strictly one after another, in input order.
//!
//! A line that cannot be read (not JSON, unknown `op`, a missing or malformed field, a disallowed
//! request) is answered with
//! `{"error":"…"}` — except an `outcome` for an id the learner no longer holds (never decided,
//! already settled, expired), which is reported on stderr only, since clients do not read answers
//! to outcomes and an extra line would shift every answer after it.

use mahnwerk_models::bandit::{Bandit, BanditError, Context, DecisionId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::mpsc;

/// One request line, parsed (or why it could not be).
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Line {
    Decide {
        id: String,
        #[serde(default)]
        debtor: Option<String>,
        #[serde(default)]
        context: Context,
        channels: Vec<String>,
        hours: Vec<u8>,
    },
    Outcome {
        id: String,
        reward: f64,
    },
    Flush,
}

/// The server's state: the learner and the protocol's ids of decisions still waiting for an
/// outcome.
pub struct Server {
    bandit: Bandit,
    pending: HashMap<String, DecisionId>,
}

impl Server {
    pub fn new(bandit: Bandit) -> Self {
        Self { bandit, pending: HashMap::new() }
    }

    pub fn bandit(&self) -> &Bandit {
        &self.bandit
    }

    /// Handles one line; returns the answer line, if the protocol has one for it.
    pub fn handle(&mut self, line: &str) -> Option<String> {
        self.handle_parsed(parse(line))
    }

    /// Handles one line parsed by [`parse`].
    pub fn handle_parsed(&mut self, parsed: Result<Line, String>) -> Option<String> {
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(e) => return Some(error(e)),
        };
        match parsed {
            Line::Decide { id, debtor, context, channels, hours } => {
                Some(self.decide(id, debtor, &context, &channels, &hours))
            }
            Line::Outcome { id, reward } => self.outcome(&id, reward),
            Line::Flush => Some(json!({"ok": true}).to_string()),
        }
    }

    fn decide(
        &mut self,
        id: String,
        debtor: Option<String>,
        context: &Context,
        channels: &[String],
        hours: &[u8],
    ) -> String {
        if self.pending.contains_key(&id) {
            return error(format!("id: '{id}' is already waiting for its outcome"));
        }
        let channels: Vec<&str> = channels.iter().map(String::as_str).collect();
        let mut request = mahnwerk_models::bandit::Request::new(context, &channels, hours);
        if let Some(debtor) = debtor.as_deref() {
            request = request.debtor(debtor);
        }
        match self.bandit.decide(&request) {
            Ok(decision) => {
                let answer = Answer {
                    id: &id,
                    channel: decision.channel(&request),
                    hour: decision.hour,
                    propensity: decision.propensity,
                };
                let line = serde_json::to_string(&answer).expect("an answer always serializes");
                self.pending.insert(id, decision.id);
                line
            }
            Err(e) => error(e.to_string()),
        }
    }

    fn outcome(&mut self, id: &str, reward: f64) -> Option<String> {
        let Some(decision) = self.pending.get(id).copied() else {
            eprintln!("outcome for unknown decision id '{id}' ignored");
            return None;
        };
        match self.bandit.outcome(decision, reward) {
            Ok(()) => {
                self.pending.remove(id);
                None
            }
            // The learner dropped it (expired or evicted): forget the id as well.
            Err(BanditError::UnknownDecision { .. }) => {
                self.pending.remove(id);
                eprintln!("outcome for expired decision id '{id}' ignored");
                None
            }
            Err(e) => Some(error(e.to_string())),
        }
    }
}

/// A decision as the protocol answers it, fields in the documented order.
#[derive(Serialize)]
struct Answer<'a> {
    id: &'a str,
    channel: &'a str,
    hour: u8,
    propensity: f64,
}

fn error(message: String) -> String {
    json!({ "error": message }).to_string()
}

/// Parses one request line; the error is the text of the `{"error":…}` answer.
pub fn parse(line: &str) -> Result<Line, String> {
    serde_json::from_str(line).map_err(|e| format!("unreadable line: {e}"))
}

/// Lines parsed ahead of the learner are handed over in batches of at most this many, so that the
/// reader never runs far ahead of what is answered (bounded memory) and the hand-over costs
/// little per line.
const BATCH: usize = 256;
/// Batches in flight between the reader and the learner.
const BATCHES_IN_FLIGHT: usize = 16;

/// Serves `input` until it ends, answering on `output`. A reader thread splits and parses the
/// lines; this thread decides and answers in input order, and flushes `output` whenever the
/// reader has nothing more waiting (so interactive clients are answered at once).
pub fn serve(server: &mut Server, input: impl Read + Send, output: impl Write) -> std::io::Result<()> {
    let (batches, received) = mpsc::sync_channel::<Vec<Result<Line, String>>>(BATCHES_IN_FLIGHT);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_ahead(input, batches));
        let answered = answer_all(server, &received, output);
        // Unblocks a reader waiting to hand over a batch nobody will take (after an output error).
        drop(received);
        let read = reader.join().expect("the reader thread does not panic");
        answered.and(read)
    })
}

/// This thread's side of [`serve`]: every parsed line, in order.
fn answer_all(
    server: &mut Server,
    received: &mpsc::Receiver<Vec<Result<Line, String>>>,
    mut output: impl Write,
) -> std::io::Result<()> {
    let mut next = received.recv().ok();
    while let Some(batch) = next.take() {
        for parsed in batch {
            if let Some(answer) = server.handle_parsed(parsed) {
                output.write_all(answer.as_bytes())?;
                output.write_all(b"\n")?;
            }
        }
        next = match received.try_recv() {
            Ok(batch) => Some(batch),
            Err(_) => {
                // Nothing parsed is waiting: the client may be waiting for these answers.
                output.flush()?;
                received.recv().ok()
            }
        };
    }
    output.flush()
}

/// The reader thread: lines from `input`, parsed, in batches that end early whenever no more
/// input is buffered (the next read might wait for the client).
fn read_ahead(input: impl Read, batches: mpsc::SyncSender<Vec<Result<Line, String>>>) -> std::io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut line = String::new();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        line.clear();
        let read = input.read_line(&mut line)?;
        if read > 0 && !line.trim().is_empty() {
            batch.push(parse(&line));
        }
        let ended = read == 0;
        let hand_over = !batch.is_empty() && (ended || batch.len() >= BATCH || input.buffer().is_empty());
        if hand_over && batches.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err() {
            return Ok(()); // the learner stopped (an output error, reported there)
        }
        if ended {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use mahnwerk_models::bandit::BanditParams;

    fn server() -> Server {
        Server::new(Bandit::new(BanditParams::default().check().unwrap(), 7))
    }

    #[test]
    fn decide_outcome_flush() {
        let mut s = server();
        let answer = s
            .handle(r#"{"op":"decide","id":"d1","debtor":"C-1","context":{"amount":12.5,"segment":"b2c"},"channels":["email","sms"],"hours":[9,18]}"#)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v["id"], "d1");
        assert!(["email", "sms"].contains(&v["channel"].as_str().unwrap()));
        assert!([9, 18].contains(&v["hour"].as_u64().unwrap()));
        let p = v["propensity"].as_f64().unwrap();
        assert!(p > 0.0 && p <= 1.0);
        assert_eq!(s.handle(r#"{"op":"outcome","id":"d1","reward":1.0}"#), None);
        assert_eq!(s.handle(r#"{"op":"flush"}"#).unwrap(), r#"{"ok":true}"#);
        assert_eq!(s.bandit().stats().updates, 1);
    }

    #[test]
    fn bad_lines_get_errors_and_the_server_goes_on() {
        let mut s = server();
        for bad in [
            "not json",
            r#"{"op":"teleport"}"#,
            r#"{"op":"decide","id":"x","channels":[],"hours":[9]}"#,
            r#"{"op":"decide","id":"x","channels":["email"],"hours":[25]}"#,
            r#"{"op":"decide","channels":["email"],"hours":[9]}"#,
            r#"{"op":"outcome","id":"x"}"#,
        ] {
            let answer = s.handle(bad).unwrap_or_else(|| panic!("no answer to {bad}"));
            assert!(answer.starts_with(r#"{"error":"#), "{bad} -> {answer}");
        }
        assert_eq!(s.handle(r#"{"op":"outcome","id":"never-decided","reward":0.0}"#), None);
        assert_eq!(s.handle(r#"{"op":"flush"}"#).unwrap(), r#"{"ok":true}"#);
    }

    #[test]
    fn serve_answers_one_line_per_decide_and_flush() {
        let input = [
            r#"{"op":"decide","id":"a","context":{},"channels":["email"],"hours":[10]}"#,
            r#"{"op":"outcome","id":"a","reward":0.0}"#,
            "",
            r#"{"op":"flush"}"#,
        ]
        .join("\n");
        let mut out = Vec::new();
        serve(&mut server(), input.as_bytes(), &mut out).unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains(r#""channel":"email""#) && lines[0].contains(r#""hour":10"#));
        assert_eq!(lines[1], r#"{"ok":true}"#);
    }
}
