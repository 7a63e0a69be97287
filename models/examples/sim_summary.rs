//! Prints summary statistics of a simulated population: `cargo run -p mahnwerk-models --example
//! sim_summary [seed]`. For checking that the simulator's defaults stay plausible.

use mahnwerk_models::sim::{arms, rng, PayerType, Population, Segment, SimChannel, SimConfig};

fn main() {
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let population = Population::generate(seed, &SimConfig::default()).expect("default config is valid");
    let model = population.model();
    let debtors = population.debtors();
    let n = debtors.len() as f64;
    println!("seed {seed}: {} debtors", debtors.len());

    for segment in Segment::ALL {
        let share = debtors.iter().filter(|d| d.segment == segment).count() as f64 / n;
        println!("  segment {:<10} {:5.1} %", segment.as_str(), 100.0 * share);
    }
    for payer in PayerType::ALL {
        let share = debtors.iter().filter(|d| d.payer == payer).count() as f64 / n;
        println!("  payer   {:<10} {:5.1} %", payer.as_str(), 100.0 * share);
    }
    for channel in SimChannel::ALL {
        let held = debtors.iter().filter(|d| d.contact.has_channel(channel)).count() as f64;
        let live = debtors.iter().filter(|d| d.attention.get(channel) > 0.0).count() as f64;
        println!(
            "  channel {:<10} held {:5.1} %, live {:5.1} %",
            channel.as_str(),
            100.0 * held / n,
            100.0 * live / n
        );
    }

    // The oracle over what a real pipeline could allow: held channels, 08:00 to 20:00.
    for stage in 1..=4 {
        for segment in Segment::ALL {
            let mut best = Vec::new();
            let mut channel_counts = [0usize; 5];
            for d in debtors.iter().filter(|d| d.segment == segment && d.payer != PayerType::Never) {
                let allowed = arms(&d.contact.channels(), 8..=20);
                let ((channel, _), p) = model.best_arm(d, &allowed, stage).expect("letter allowed");
                best.push(p);
                channel_counts[channel.index()] += 1;
            }
            let mean = best.iter().sum::<f64>() / best.len() as f64;
            let counts: Vec<String> = SimChannel::ALL
                .iter()
                .map(|c| format!("{}={}", c.as_str(), channel_counts[c.index()]))
                .collect();
            println!(
                "  stage {stage} {:<9} mean best-arm p (payers) {:.3}; best channel {}",
                segment.as_str(),
                mean,
                counts.join(" ")
            );
        }
    }
    for payer in PayerType::ALL {
        let best: Vec<f64> = debtors
            .iter()
            .filter(|d| d.payer == payer)
            .map(|d| model.best_arm(d, &arms(&d.contact.channels(), 8..=20), 1).expect("letter").1)
            .collect();
        let worst: Vec<f64> = debtors
            .iter()
            .filter(|d| d.payer == payer)
            .map(|d| {
                arms(&d.contact.channels(), 8..=20)
                    .iter()
                    .map(|&(c, h)| model.pay_probability(d, c, h, 1))
                    .fold(1.0, f64::min)
            })
            .collect();
        println!(
            "  stage 1 {:<10} mean best-arm p {:.3}, mean worst-arm p {:.3}",
            payer.as_str(),
            best.iter().sum::<f64>() / best.len().max(1) as f64,
            worst.iter().sum::<f64>() / worst.len().max(1) as f64
        );
    }

    let invoices = population.invoices(seed);
    let mut r = rng(seed);
    let mut unprompted = 0;
    let mut by_due_plus_3 = 0;
    for invoice in &invoices {
        let debtor = &debtors[invoice.debtor_index];
        if let Some(day) = model.unprompted_payment_day(debtor, invoice, &mut r) {
            unprompted += 1;
            if day <= 3 {
                by_due_plus_3 += 1;
            }
        }
    }
    let m = invoices.len() as f64;
    let euros = |segment| {
        let amounts: Vec<f64> = invoices
            .iter()
            .filter(|i| debtors[i.debtor_index].segment == segment)
            .map(|i| i.amount_cents as f64 / 100.0)
            .collect();
        amounts.iter().sum::<f64>() / amounts.len() as f64
    };
    println!(
        "  {} invoices ({:.2} per debtor); mean amount consumer {:.0} EUR, business {:.0} EUR",
        invoices.len(),
        m / n,
        euros(Segment::Consumer),
        euros(Segment::Business)
    );
    println!(
        "  paid unprompted {:.1} % of invoices, {:.1} % by due+3",
        100.0 * unprompted as f64 / m,
        100.0 * by_due_plus_3 as f64 / m
    );
}
