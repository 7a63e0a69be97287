//! `mahnwerk bench policy-stdio`: decisions per second through `mahnwerk policy serve --stdio`
//! with batched input (the whole workload written to its stdin as fast as it takes it), beside a
//! do-nothing responder (`policy serve --stdio --do-nothing`: every line parsed as the policy
//! parses it and answered with the first allowed arm, nothing learned) run the same way in the
//! same run, so that the ratio between the two means something on any machine.
//!
//! The workload is what an evaluation harness sends: decisions for a few thousand recurring
//! debtors (six context keys, two to five channels, the 13 hours 08-20), and each decision's
//! outcome a few hundred decisions later, as delayed rewards arrive.

use anyhow::{bail, Context as _};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What to send.
#[derive(Debug, Clone)]
pub struct StdioBenchOptions {
    pub decisions: usize,
    pub debtors: usize,
    /// Rounds of (do-nothing, policy); the medians are reported.
    pub rounds: usize,
}

/// Outcomes arrive this many decisions after their decision.
const OUTCOME_DELAY: usize = 400;

#[derive(Debug, Serialize)]
pub struct StdioFigures {
    pub decisions: usize,
    pub debtors: usize,
    pub rounds: usize,
    /// Median decisions per second of the do-nothing responder.
    pub do_nothing_per_s: f64,
    /// Median decisions per second of the learning policy.
    pub policy_per_s: f64,
    /// Every round's figures, in the order they ran: (do-nothing, policy).
    pub runs: Vec<(f64, f64)>,
}

impl StdioFigures {
    pub fn ratio(&self) -> f64 {
        self.policy_per_s / self.do_nothing_per_s
    }
}

impl fmt::Display for StdioFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "policy serve --stdio, batched input: {} decisions (+ as many outcomes), {} debtors, median of {} rounds",
            self.decisions, self.debtors, self.rounds
        )?;
        writeln!(f, "  do-nothing responder  {:>10.0} decisions/s", self.do_nothing_per_s)?;
        writeln!(f, "  learning policy       {:>10.0} decisions/s", self.policy_per_s)?;
        write!(f, "  ratio                 {:>10.2}", self.ratio())
    }
}

/// Runs the benchmark: each round starts a fresh do-nothing responder and a fresh policy.
pub fn policy_stdio(options: &StdioBenchOptions) -> anyhow::Result<StdioFigures> {
    if options.decisions == 0 || options.debtors == 0 || options.rounds == 0 {
        bail!("--decisions, --debtors and --rounds must be at least 1");
    }
    let input = workload(options.decisions, options.debtors, 7);
    let mut runs = Vec::new();
    for _ in 0..options.rounds {
        let nothing = time_one(&input, options.decisions, true)?;
        let policy = time_one(&input, options.decisions, false)?;
        runs.push((options.decisions as f64 / nothing, options.decisions as f64 / policy));
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    Ok(StdioFigures {
        decisions: options.decisions,
        debtors: options.debtors,
        rounds: options.rounds,
        do_nothing_per_s: median(runs.iter().map(|r| r.0).collect()),
        policy_per_s: median(runs.iter().map(|r| r.1).collect()),
        runs,
    })
}

/// The request lines: decisions, each one's outcome `OUTCOME_DELAY` decisions later, a flush.
fn workload(decisions: usize, debtors: usize, seed: u64) -> Vec<u8> {
    const CHANNELS: [&str; 5] = ["email", "sms", "whatsapp", "messenger", "letter"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(decisions * 320);
    let hours: Vec<u8> = (8..=20).collect();
    let hours = serde_json::to_string(&hours).expect("numbers serialize");
    let outcome = |out: &mut Vec<u8>, rng: &mut rand::rngs::StdRng, i: usize| {
        let reward = if rng.gen_bool(0.3) { "1.0" } else { "0.0" };
        writeln!(out, r#"{{"op":"outcome","id":"d{i}","reward":{reward}}}"#).expect("writing to memory");
    };
    for i in 0..decisions {
        let debtor = rng.gen_range(0..debtors);
        let business = debtor % 5 == 0;
        let offered = rng.gen_range(2..=CHANNELS.len());
        let channels: Vec<&str> = CHANNELS.iter().copied().take(offered).collect();
        writeln!(
            out,
            r#"{{"op":"decide","id":"d{i}","debtor":"C-{debtor}","context":{{"amount":{:.2},"stage":{},"days_overdue":{},"segment":"{}","language":"de","country":"DE"}},"channels":{},"hours":{hours}}}"#,
            rng.gen_range(20.0..900.0),
            rng.gen_range(1..=4),
            rng.gen_range(1..=60),
            if business { "b2b" } else { "b2c" },
            serde_json::to_string(&channels).expect("strings serialize"),
        )
        .expect("writing to memory");
        if i >= OUTCOME_DELAY {
            outcome(&mut out, &mut rng, i - OUTCOME_DELAY);
        }
    }
    for i in decisions.saturating_sub(OUTCOME_DELAY)..decisions {
        outcome(&mut out, &mut rng, i);
    }
    out.extend_from_slice(b"{\"op\":\"flush\"}\n");
    out
}

/// Seconds from starting the responder to its last answer, with `input` written as fast as it
/// reads it and its answers read as fast as it writes them.
fn time_one(input: &[u8], decisions: usize, do_nothing: bool) -> anyhow::Result<f64> {
    let exe = std::env::current_exe().context("finding the mahnwerk binary")?;
    let mut command = Command::new(exe);
    command.args(["policy", "serve", "--stdio", "--seed", "1"]);
    if do_nothing {
        command.arg("--do-nothing");
    }
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting mahnwerk policy serve --stdio")?;
    let mut stdin = child.stdin.take().context("the child's stdin")?;
    let mut stdout = child.stdout.take().context("the child's stdout")?;
    let answers = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(input));
        let mut answers = Vec::new();
        let read = stdout.read_to_end(&mut answers);
        writer.join().expect("the writer does not panic").context("writing requests")?;
        read.context("reading answers")?;
        anyhow::Ok(answers)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let status = child.wait()?;
    if !status.success() {
        bail!("policy serve ended with {status}");
    }
    let text = String::from_utf8(answers).context("answers are UTF-8")?;
    let lines = text.lines().count();
    if lines != decisions + 1 || text.contains(r#""error""#) {
        bail!("expected {} answers without errors, got {lines}", decisions + 1);
    }
    Ok(elapsed)
}

/// The do-nothing responder: every line read and parsed as the policy reads it, then answered
/// with the first allowed channel and hour (a `flush` with `{"ok":true}`), nothing decided or
/// learned, through the same buffered stdin and stdout as the policy: the protocol's own cost.
pub fn do_nothing(input: impl Read, output: impl Write) -> std::io::Result<()> {
    use crate::learn::stdio::{parse, Line};
    use std::io::BufRead;
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    let mut output = std::io::BufWriter::with_capacity(1 << 16, output);
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return output.flush();
        }
        match parse(&line) {
            Ok(Line::Decide { id, channels, hours, .. }) => {
                let answer = serde_json::json!({"id": id, "channel": channels.first(), "hour": hours.first(),
                                                "propensity": 1.0});
                writeln!(output, "{answer}")?;
            }
            Ok(Line::Flush) => output.write_all(b"{\"ok\":true}\n")?,
            Ok(Line::Outcome { .. }) => {}
            Err(_) if line.trim().is_empty() => {}
            Err(e) => writeln!(output, "{}", serde_json::json!({ "error": e }))?,
        }
        if input.buffer().is_empty() {
            output.flush()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workload_is_what_the_protocol_reads() {
        let input = workload(50, 7, 1);
        let text = std::str::from_utf8(&input).unwrap();
        assert_eq!(text.lines().filter(|l| l.contains(r#""op":"decide""#)).count(), 50);
        assert_eq!(text.lines().filter(|l| l.contains(r#""op":"outcome""#)).count(), 50);
        let mut server = crate::learn::stdio::Server::new(mahnwerk_models::bandit::Bandit::new(
            linfa::ParamGuard::check(mahnwerk_models::bandit::BanditParams::default()).unwrap(),
            1,
        ));
        let mut answers = Vec::new();
        crate::learn::stdio::serve(&mut server, input.as_slice(), &mut answers).unwrap();
        let answers = String::from_utf8(answers).unwrap();
        assert_eq!(answers.lines().count(), 51, "{answers}");
        assert!(!answers.contains("error"), "{answers}");
        assert_eq!(server.bandit().stats().updates, 50);

        let mut nothing = Vec::new();
        do_nothing(input.as_slice(), &mut nothing).unwrap();
        assert_eq!(String::from_utf8(nothing).unwrap().lines().count(), 51);
    }
}
