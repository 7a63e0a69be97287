//! `mahnwerk-train simulate`: a decision log written by a chosen logging policy on the
//! simulator, in the service's exact format, with rewards drawn from the simulator's ground
//! truth. What `evaluate` and `compare` are checked on: the truth of any candidate on the same
//! reminders is known ([`script::Script::pay_probability`]).
//!
//! # Layout
//! `script` (the reminders and the ground truth) · `logging` (uniform, fixed, adaptive) ·
//! `line` (the JSON line).

pub mod line;
pub mod logging;
pub mod script;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mahnwerk_models::sim::{Response, World, ATTRIBUTION_WINDOW_HOURS};

use crate::log::to_context;
use line::{DecisionLine, Times, TENANT};
use logging::{Ask, Logger, LoggingPolicy};
use script::{Reminder, Script, HOURS};

/// `mahnwerk-train simulate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct SimulateCommand {
    /// Where to write the log (JSON lines).
    #[arg(long)]
    pub out: PathBuf,
    /// uniform (every allowed arm alike), fixed (the fixed schedule, propensity 1), adaptive
    /// (the repository's learner, logging its own propensities) or informed (knows each
    /// debtor's true pay rates, which no model sees: the best arm, or with probability 0.2, or
    /// the share in `informed:<share>`, any allowed arm alike).
    #[arg(long, default_value = "uniform")]
    pub policy: LoggingPolicy,
    /// Seed of the reminders, the policy's draws and the rewards.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seed of the debtors: logs with the same one are about the same people.
    #[arg(long, default_value_t = 1)]
    pub debtors_seed: u64,
    #[arg(long, default_value_t = 10_000)]
    pub decisions: usize,
    /// A world of `mahnwerk_models::sim::World` (see bench-policies).
    #[arg(long, default_value = "default")]
    pub world: String,
}

/// Runs `simulate` as the command line asked; returns the summary to print.
pub fn run(command: &SimulateCommand) -> anyhow::Result<String> {
    let world = World::named(&command.world).ok_or_else(|| {
        anyhow::anyhow!(
            "--world: unknown world {:?}, expected one of {}",
            command.world,
            World::names().join(", ")
        )
    })?;
    let args = SimulateArgs {
        policy: command.policy,
        seed: command.seed,
        debtors_seed: command.debtors_seed,
        decisions: command.decisions,
        world,
    };
    simulate(&args, &command.out)
}

/// What to simulate.
pub struct SimulateArgs {
    pub policy: LoggingPolicy,
    /// The reminders, the logging policy's draws and the rewards.
    pub seed: u64,
    /// The population: logs with the same `debtors_seed` are about the same debtors.
    pub debtors_seed: u64,
    pub decisions: usize,
    pub world: World,
}

/// Plays `args.policy` through the script and hands each line to `each`, with the reminder it is
/// about. Rewards are drawn with exactly the ground truth's probability.
pub fn generate(
    args: &SimulateArgs,
    script: &Script,
    mut each: impl FnMut(&Reminder, &DecisionLine<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut logger = Logger::new(args.policy, args.seed)?;
    let mut luck = mahnwerk_models::sim::rng(args.seed ^ 0x0a45_3e00);
    for (i, reminder) in script.reminders().iter().enumerate() {
        let debtor = script.debtor(reminder);
        let map = line::context(debtor, reminder);
        let context = to_context(&map);
        let debtor_key = format!("{TENANT}/{}", debtor.id);
        // The ground truth per arm, for the one policy that may look at it.
        let truth: Vec<f64> = match args.policy {
            LoggingPolicy::Informed { .. } => reminder
                .channels
                .iter()
                .flat_map(|c| HOURS.iter().map(move |h| (*c, *h)))
                .map(|(c, h)| script.pay_probability(reminder, c, h))
                .collect(),
            _ => Vec::new(),
        };
        let ask = Ask {
            context: &context,
            debtor: &debtor_key,
            channels: &reminder.channels,
            hours: &HOURS,
            amount: reminder.amount_eur,
            truth: &truth,
        };
        let choice = logger.choose(&ask)?;
        let response = script.model().respond_on(
            debtor,
            choice.channel,
            choice.hour,
            reminder.stage,
            reminder.day,
            &mut luck,
        );
        let (reward, settled_after) = match response {
            Response::Pays { after_hours } => (1.0, after_hours),
            Response::Ignores => (0.0, ATTRIBUTION_WINDOW_HOURS),
        };
        logger.outcome(reward)?;
        let times = Times::new(reminder, choice.hour, settled_after);
        let id = i as u64 + 1;
        let line = DecisionLine {
            schema: "mahnwerk.event.v1",
            tenant: TENANT,
            case_id: id,
            invoice_number: format!("RE-SIM-{id:07}"),
            debtor_id: &debtor.id,
            occurred_at: times.occurred_at,
            kind: "reminder.outcome",
            id: id.to_string(),
            reminder_id: id,
            debtor: debtor_key.clone(),
            context: &map,
            at: times.at,
            channels: reminder.channels.iter().map(|c| c.as_str()).collect(),
            hours: &HOURS,
            sent_at: times.sent_at,
            channel: choice.channel.as_str(),
            hour: choice.hour,
            stage: reminder.stage,
            propensity: choice.propensity,
            reward,
            policy_version: args.policy.version(),
        };
        each(reminder, &line)?;
    }
    Ok(())
}

/// Writes the log to `out`; returns a one-line summary.
pub fn simulate(args: &SimulateArgs, out: &Path) -> anyhow::Result<String> {
    anyhow::ensure!(args.decisions > 0, "--decisions: at least 1");
    let script = Script::new(&args.world, args.debtors_seed, args.seed, args.decisions)?;
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let (mut paid, mut written) = (0usize, 0usize);
    generate(args, &script, |_, line| {
        serde_json::to_writer(&mut writer, line)?;
        writer.write_all(b"\n")?;
        written += 1;
        paid += usize::from(line.reward > 0.0);
        Ok(())
    })
    .with_context(|| format!("writing {}", out.display()))?;
    writer.flush().with_context(|| format!("writing {}", out.display()))?;
    Ok(format!(
        "wrote {written} decisions of the {} policy in world {} ({} paid, {:.1} %) to {}",
        args.policy,
        args.world.name,
        paid,
        100.0 * paid as f64 / written as f64,
        out.display()
    ))
}
