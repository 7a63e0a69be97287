//! `mahnwerk-train bench-policies`: the mahnwerk learner against the usual baselines and the
//! oracle on the simulator, several seeds, the same reminders and the same luck for every policy.
//!
//! Policies (one file each, behind [`policy::Policy`]): `uniform` random, `fixed` (email at
//! 10:00, a letter where no email is held), `epsilon-greedy` on a (segment, stage) table,
//! disjoint `LinUCB` on a small feature vector, `mahnwerk` (the Thompson-sampling learner with
//! its default parameters, asked as the service asks it) and the `oracle`, which reads the
//! hidden traits. Between the learners and the oracle, two bounds that know the simulator's
//! generative model but not the person ([`bayes`]): the `population oracle` (no personal data)
//! and the `Bayes oracle` (a posterior over each debtor's traits from its outcomes), which show
//! how much of the oracle's lead a learner could close at all. The world, its script and its
//! delays are argued in [`world`]; [`run`] plays one policy through it; [`report`] turns the
//! traces into tables and a plot ([`svg`]).
//!
//! Payment rates are over all rounds and over the last quarter (what the policy has learned);
//! "vs oracle" is the last-quarter rate over the oracle's; cost is the channel cost of every
//! reminder sent over the payments collected; decisions/s counts the time inside the policy
//! only (decisions and updates), on one thread.

mod bayes;
mod draw;
mod epsilon_greedy;
mod fixed;
mod linucb;
mod oracle;
mod policy;
mod report;
mod run;
mod svg;
mod thompson;
mod uniform;
mod world;

use std::path::PathBuf;

use anyhow::Context as _;

use policy::Policy;
use report::Row;
use world::{World, HOURS};

/// The learner the targets are about, and the baselines it must beat at every seed.
const LEARNER: &str = "mahnwerk";
const BASELINES: &[&str] = &["uniform", "fixed", "epsilon-greedy", "LinUCB"];

/// What to run.
pub struct BenchArgs {
    pub seeds: Vec<u64>,
    pub rounds: usize,
    pub debtors: usize,
    pub out: PathBuf,
}

/// The policies in table order: baselines, the learner, the bounds, the oracle.
fn policies(seed: u64, world: &World) -> anyhow::Result<Vec<Box<dyn Policy>>> {
    let reference = bayes::Reference::new(seed)?;
    Ok(vec![
        Box::new(uniform::Uniform::new(seed)),
        Box::new(fixed::Fixed),
        Box::new(epsilon_greedy::EpsilonGreedy::new(seed)),
        Box::new(linucb::LinUcb::default()),
        Box::new(thompson::Thompson::new(seed)?),
        Box::new(bayes::Bayes::new(reference.clone(), false)),
        Box::new(bayes::Bayes::new(reference, true)),
        Box::new(oracle::Oracle::new(world.population().clone())),
    ])
}

/// Runs every policy at every seed, prints a table per seed and the mean, writes the plots.
pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!args.seeds.is_empty(), "--seeds: give at least one seed");
    anyhow::ensure!(args.rounds >= 4, "--rounds: at least 4, so that there is a last quarter");
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let window = (args.rounds / 20).max(1);
    let step = (args.rounds / 400).max(1);

    let mut per_seed: Vec<Vec<Row>> = Vec::new();
    let mut curves: Vec<Vec<(&'static str, Vec<f64>)>> = Vec::new();
    for &seed in &args.seeds {
        let world = World::new(seed, args.rounds, args.debtors)?;
        let arms: usize = world.script().iter().map(|r| r.facts.channels.len() * HOURS.len()).sum();
        let conditions = format!(
            "seed {seed} · {} rounds · {} debtors · arms: held channels x hours 8..=20 (at most 65, {:.1} on average) · \
             {threads} machine threads (the policies run one after another on one)",
            args.rounds,
            args.debtors,
            arms as f64 / args.rounds as f64
        );
        let mut traces = Vec::new();
        for mut policy in policies(seed, &world)? {
            traces.push(run::run(&world, policy.as_mut()));
        }
        let rows = report::rows(&traces, "oracle", "Bayes oracle");
        println!("{}", report::table(&conditions, &rows));
        let seed_curves: Vec<(&'static str, Vec<f64>)> = traces
            .iter()
            .map(|t| (t.policy, t.paid.iter().map(|&p| f64::from(u8::from(p))).collect()))
            .collect();
        let subtitle = format!(
            "seed {seed} · {} rounds · {} debtors · held channels x hours 8..=20",
            args.rounds, args.debtors
        );
        write_plot(args, &format!("learning-curve-seed-{seed}.svg"), &subtitle, window, step, &seed_curves)?;
        curves.push(seed_curves);
        per_seed.push(rows);
    }

    let seeds: Vec<String> = args.seeds.iter().map(u64::to_string).collect();
    let conditions = format!(
        "mean of seeds {} · {} rounds · {} debtors · held channels x hours 8..=20 · {threads} machine threads",
        seeds.join(","),
        args.rounds,
        args.debtors
    );
    println!("{}", report::table(&conditions, &report::mean_rows(&per_seed)));
    println!("{}", report::targets(&args.seeds, &per_seed, LEARNER, BASELINES));
    let mean_curves: Vec<(&'static str, Vec<f64>)> = (0..curves[0].len())
        .map(|i| {
            let rate = (0..args.rounds)
                .map(|r| curves.iter().map(|c| c[i].1[r]).sum::<f64>() / curves.len() as f64)
                .collect();
            (curves[0][i].0, rate)
        })
        .collect();
    let path = write_plot(args, "learning-curve.svg", &conditions, window, step, &mean_curves)?;
    println!("learning curves written to {}", path.display());
    Ok(())
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
