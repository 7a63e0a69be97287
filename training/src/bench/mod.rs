//! `mahnwerk-train bench-policies`: the mahnwerk learner against the usual baselines and the
//! oracle on the simulator, several seeds, the same reminders and the same luck for every policy.
//!
//! Policies (one file each, behind [`policy::Policy`]): `uniform` random, `fixed` (email at
//! 10:00, a letter where no email is held), `epsilon-greedy` on a (segment, stage) table,
//! disjoint `LinUCB` on a small feature vector, `LinUCB+debtor` (one ridge regression on
//! one-hot crosses plus the debtor's shrunken pay rates: the strong simple baseline),
//! `mahnwerk` (the Thompson-sampling learner with its default parameters, asked as the service
//! asks it) and the `oracle`, which reads the hidden traits. Every policy runs in each of the
//! named worlds of [`mahnwerk_models::sim::World`] (`--world NAME`, or `all`), so that a learner
//! tuned on one world is judged on the others. Between the learners and the oracle, two bounds that know the simulator's
//! generative model but not the person ([`bayes`]): the `population oracle` (no personal data)
//! and the `Bayes oracle` (a posterior over each debtor's traits from its outcomes), which show
//! how much of the oracle's lead a learner could close at all. The world, its script and its
//! delays are argued in [`world`]; [`run`] plays one policy through it; [`report`] turns the
//! traces into tables and a plot ([`svg`]).
//!
//! Payment rates are over all rounds and over the last quarter (what the policy has learned);
//! "vs oracle" is the last-quarter rate over the oracle's; "invoices" counts the reminders paid
//! over the whole run (each settles the invoice it was about); "net kEUR" is the open amounts
//! collected minus channel cost; cost per payment is the channel cost of every reminder sent
//! over the payments collected; "letters" is the share of reminders sent by post; decisions/s
//! counts the time inside the policy only (decisions and updates), on one thread.

mod bayes;
mod draw;
mod epsilon_greedy;
mod fixed;
mod linucb;
mod linucb_debtor;
mod oracle;
mod policy;
mod report;
mod run;
pub(crate) mod svg;
mod thompson;
mod uniform;
mod world;

use std::path::PathBuf;

use anyhow::Context as _;
use mahnwerk_models::sim;

use policy::Policy;
use report::Row;
use world::{World, HOURS};

/// The learner the targets are about, and the baselines it must beat at every seed.
const LEARNER: &str = "mahnwerk";
const BASELINES: &[&str] = &["uniform", "fixed", "epsilon-greedy", "LinUCB", "LinUCB+debtor"];

/// What to run.
pub struct BenchArgs {
    pub seeds: Vec<u64>,
    pub rounds: usize,
    /// Overrides each world's own number of debtors.
    pub debtors: Option<usize>,
    /// The worlds to run, in order.
    pub worlds: Vec<sim::World>,
    pub out: PathBuf,
}

/// The policies in table order: baselines, the learner, the bounds, the oracle.
fn policies(seed: u64, spec: &sim::World, world: &World) -> anyhow::Result<Vec<Box<dyn Policy>>> {
    let reference = bayes::Reference::new(seed, spec)?;
    Ok(vec![
        Box::new(uniform::Uniform::new(seed)),
        Box::new(fixed::Fixed),
        Box::new(epsilon_greedy::EpsilonGreedy::new(seed)),
        Box::new(linucb::LinUcb::default()),
        Box::new(linucb_debtor::LinUcbDebtor::default()),
        Box::new(thompson::Thompson::new(seed)?),
        Box::new(bayes::Bayes::new(reference.clone(), false)),
        Box::new(bayes::Bayes::new(reference, true)),
        Box::new(oracle::Oracle::new(world.population().clone())),
    ])
}

/// Runs every policy at every seed in every world, prints a table per seed and the mean per
/// world, checks the targets, writes the plots, and ends with one summary line per world.
pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!args.seeds.is_empty(), "--seeds: give at least one seed");
    anyhow::ensure!(!args.worlds.is_empty(), "--world: give at least one world");
    anyhow::ensure!(args.rounds >= 4, "--rounds: at least 4, so that there is a last quarter");
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut summary =
        String::from("summary: mean of the seeds (last-quarter paid, invoices, EUR/payment, letters)\n");
    let mut met = Vec::new();
    for spec in &args.worlds {
        let (rows, ok) = bench_world(args, spec)?;
        met.push((spec.name, ok));
        let line: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {:.1}% {:.0} {:.2} {:.0}%",
                    r.policy,
                    100.0 * r.paid_last_quarter,
                    r.invoices,
                    r.eur_per_payment,
                    100.0 * r.letter_share
                )
            })
            .collect();
        summary.push_str(&format!("  {}: {}\n", spec.name, line.join(" | ")));
    }
    println!("{summary}");
    let missed: Vec<&str> = met.iter().filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
    if missed.is_empty() {
        println!("targets met in every world");
    } else {
        println!("targets missed in: {}", missed.join(", "));
    }
    Ok(())
}

/// One world at every seed: the mean rows and whether every target was met.
fn bench_world(args: &BenchArgs, spec: &sim::World) -> anyhow::Result<(Vec<Row>, bool)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let window = (args.rounds / 20).max(1);
    let step = (args.rounds / 400).max(1);
    let name = spec.name;
    println!("== world {name}: {}\n", spec.about);

    let mut per_seed: Vec<Vec<Row>> = Vec::new();
    let mut curves: Vec<Vec<(&'static str, Vec<f64>)>> = Vec::new();
    let mut debtors = 0;
    for &seed in &args.seeds {
        let world = World::new(seed, args.rounds, spec, args.debtors)?;
        debtors = world.debtors();
        let arms: usize = world.script().iter().map(|r| r.facts.channels.len() * HOURS.len()).sum();
        let conditions = format!(
            "world {name} · seed {seed} · {} rounds · {debtors} debtors · arms: held channels x hours 8..=20 \
             (at most 65, {:.1} on average) · {threads} machine threads (the policies run one after another on one)",
            args.rounds,
            arms as f64 / args.rounds as f64
        );
        let mut traces = Vec::new();
        for mut policy in policies(seed, spec, &world)? {
            traces.push(run::run(&world, policy.as_mut()));
        }
        let rows = report::rows(&traces, "oracle", "Bayes oracle");
        println!("{}", report::table(&conditions, &rows));
        let seed_curves: Vec<(&'static str, Vec<f64>)> = traces
            .iter()
            .map(|t| (t.policy, t.paid.iter().map(|&p| f64::from(u8::from(p))).collect()))
            .collect();
        let subtitle = format!(
            "world {name} · seed {seed} · {} rounds · {debtors} debtors · held channels x hours 8..=20",
            args.rounds
        );
        let file = format!("learning-curve-{name}-seed-{seed}.svg");
        write_plot(args, &file, &subtitle, window, step, &seed_curves)?;
        curves.push(seed_curves);
        per_seed.push(rows);
    }

    let seeds: Vec<String> = args.seeds.iter().map(u64::to_string).collect();
    let conditions = format!(
        "world {name} · mean of seeds {} · {} rounds · {debtors} debtors · held channels x hours 8..=20 · \
         {threads} machine threads",
        seeds.join(","),
        args.rounds,
    );
    let mean = report::mean_rows(&per_seed);
    println!("{}", report::table(&conditions, &mean));
    let (text, ok) = report::targets(name, &args.seeds, &per_seed, LEARNER, BASELINES);
    println!("{text}");
    let mean_curves: Vec<(&'static str, Vec<f64>)> = (0..curves[0].len())
        .map(|i| {
            let rate = (0..args.rounds)
                .map(|r| curves.iter().map(|c| c[i].1[r]).sum::<f64>() / curves.len() as f64)
                .collect();
            (curves[0][i].0, rate)
        })
        .collect();
    let path =
        write_plot(args, &format!("learning-curve-{name}.svg"), &conditions, window, step, &mean_curves)?;
    println!("learning curves written to {}\n", path.display());
    Ok((mean, ok))
}

fn write_plot(
    args: &BenchArgs,
    name: &str,
    conditions: &str,
    window: usize,
    step: usize,
    curves: &[(&'static str, Vec<f64>)],
) -> anyhow::Result<PathBuf> {
    let lines: Vec<(&str, Vec<(usize, f64)>)> =
        curves.iter().map(|(p, paid)| (*p, report::moving_rate(paid, window, step))).collect();
    let title = format!("Payment rate, moving window of {window} reminders");
    let svg = report::learning_curves(&title, conditions, args.rounds, &lines);
    let path = args.out.join(name);
    std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
