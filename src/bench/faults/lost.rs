//! Lost delivery messages, as the fault benchmark causes and counts them: a purge of a delivery
//! queue on the broker (its ready messages gone for good; [`super::purge`] decides when), and the
//! scheduler's warnings of the reminders it dispatched again once their lease ran out.

use anyhow::Context;

/// Purges `queue` on the broker at `amqp_url`: its ready messages are gone for good. Returns how
/// many there were.
pub async fn purge(amqp_url: &str, queue: &str) -> anyhow::Result<u32> {
    use lapin::{options::QueuePurgeOptions, Connection, ConnectionProperties};
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .context("connecting to purge")?;
    let channel = connection.create_channel().await?;
    let purged = channel
        .queue_purge(queue.into(), QueuePurgeOptions::default())
        .await
        .with_context(|| format!("purging {queue}"))?;
    let _ = connection.close(200, "purged".into()).await;
    Ok(purged)
}

/// The reminders the scheduler's log says it dispatched again (`count=` of each re-dispatch
/// warning; the log's colour codes are skipped).
pub fn dispatched_again(log: &str) -> u64 {
    log.lines()
        .filter(|line| line.contains("queued without a send result"))
        .filter_map(|line| {
            let plain = without_colours(line);
            let digits = plain.split("count=").nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?;
            digits.parse::<u64>().ok()
        })
        .sum()
}

/// `line` without ANSI escape sequences (`ESC [ … m`).
fn without_colours(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_re_dispatches_are_read_from_the_schedulers_warnings() {
        let log = "2026-12-07T10:00:00Z  WARN mahnwerk::schedule::dispatch: reminders queued without a send \
                   result: dispatched again count=37 minutes=60 first=12\n\
                   2026-12-07T10:00:01Z  WARN other: count=5\n\
                   WARN mahnwerk::schedule::dispatch: reminders queued without a send result: dispatched again \
                   \u{1b}[3mcount\u{1b}[0m\u{1b}[2m=\u{1b}[0m3\n";
        assert_eq!(dispatched_again(log), 40);
    }
}
