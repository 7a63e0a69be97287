//! The ground truth: honest (personal, partly unreachable, partly hopeless), consistent with its
//! own draws, and with an oracle that really is the best arm.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{population, share, small};
use mahnwerk_models::sim::{
    arms, rng, Arm, PayerType, Population, Response, Segment, SimChannel, SimDebtor, ATTRIBUTION_WINDOW_HOURS,
};
use proptest::prelude::*;

/// Hours a real pipeline allows outside quiet hours.
const DAYTIME: std::ops::RangeInclusive<u8> = 8..=20;

/// What the pipeline may offer this debtor: the channels the creditor holds, in daytime.
fn daytime_arms(debtor: &SimDebtor) -> Vec<Arm> {
    arms(&debtor.contact.channels(), DAYTIME)
}

#[test]
fn never_payers_never_pay() {
    let pop = population(13);
    let model = pop.model();
    let invoices = pop.invoices(13);
    let mut r = rng(13);
    let never: Vec<usize> =
        (0..pop.debtors().len()).filter(|&i| pop.debtors()[i].payer == PayerType::Never).collect();
    assert!(!never.is_empty());
    for &i in &never {
        let d = &pop.debtors()[i];
        for channel in SimChannel::ALL {
            for hour in 0..24 {
                for stage in 0..=6 {
                    assert_eq!(model.pay_probability(d, channel, hour, stage), 0.0);
                    assert_eq!(model.respond(d, channel, hour, stage, &mut r), Response::Ignores);
                }
            }
        }
    }
    for inv in invoices.iter().filter(|inv| never.contains(&inv.debtor_index)) {
        let d = &pop.debtors()[inv.debtor_index];
        assert_eq!(model.unprompted_payment_day(d, inv, &mut r), None);
    }
}

#[test]
fn unreachable_channels_give_zero() {
    let pop = population(14);
    let model = pop.model();
    let mut missing = 0;
    let mut dead = 0;
    for d in pop.debtors() {
        for channel in SimChannel::ALL {
            let held = d.contact.has_channel(channel);
            if held && d.attention.get(channel) > 0.0 {
                continue;
            }
            if held {
                dead += 1;
            } else {
                missing += 1;
            }
            for hour in 0..24 {
                for stage in 1..=4 {
                    assert_eq!(model.pay_probability(d, channel, hour, stage), 0.0);
                }
            }
        }
    }
    assert!(missing > 500 && dead > 100, "missing {missing}, dead {dead}");
}

#[test]
fn the_oracle_is_never_worse_than_any_allowed_arm() {
    let pop = population(15);
    let model = pop.model();
    for d in pop.debtors() {
        let allowed = arms(&d.contact.channels(), 6..=22);
        for stage in 1..=4 {
            let best = model.oracle_arm(d, &allowed, stage);
            assert!(allowed.contains(&best));
            let p_best = model.pay_probability(d, best.0, best.1, stage);
            for &(channel, hour) in &allowed {
                assert!(p_best >= model.pay_probability(d, channel, hour, stage));
            }
            let reversed: Vec<Arm> = allowed.iter().rev().copied().collect();
            assert_eq!(model.oracle_arm(d, &reversed, stage), best, "order-dependent tie break");
        }
    }
}

#[test]
fn oracle_ties_go_to_the_first_channel_and_earliest_hour() {
    let pop = population(16);
    let model = pop.model();
    let d = pop.debtors().iter().find(|d| d.payer == PayerType::Never).expect("a Never payer");
    // Everything is 0 for a Never payer, so every arm ties.
    let allowed = [(SimChannel::Letter, 9), (SimChannel::Sms, 18), (SimChannel::Sms, 10)];
    assert_eq!(model.oracle_arm(d, &allowed, 1), (SimChannel::Sms, 10));
    assert_eq!(model.best_arm(d, &[], 1), None);
}

/// Best daytime arm at stage 1 of every debtor who can pay at all.
fn best_arms(pop: &Population, segment: Segment) -> Vec<(&SimDebtor, Arm)> {
    pop.debtors()
        .iter()
        .filter(|d| d.segment == segment && d.payer != PayerType::Never)
        .map(|d| (d, pop.model().oracle_arm(d, &daytime_arms(d), 1)))
        .collect()
}

#[test]
fn the_best_arm_is_personal_within_a_segment() {
    let pop = population(17);
    for segment in Segment::ALL {
        let best = best_arms(&pop, segment);
        // Debtors with the very same contacts, segment and stage still want different arms.
        let mut by_contact: BTreeMap<Vec<SimChannel>, Vec<Arm>> = BTreeMap::new();
        for (d, arm) in &best {
            by_contact.entry(d.contact.channels()).or_default().push(*arm);
        }
        let (contacts, group) = by_contact.iter().max_by_key(|(_, g)| g.len()).expect("debtors");
        let channels: BTreeSet<_> = group.iter().map(|a| a.0).collect();
        let hours: BTreeSet<_> = group.iter().map(|a| a.1).collect();
        assert!(channels.len() >= 2, "{segment:?} {contacts:?}: {channels:?}");
        assert!(hours.len() >= 5, "{segment:?} {contacts:?}: {hours:?}");
        let distinct: BTreeSet<_> = group.iter().collect();
        assert!(distinct.len() >= 10, "{segment:?}: {} distinct arms", distinct.len());
    }
}

#[test]
fn the_best_arm_differs_between_segments_on_average() {
    let pop = population(18);
    let consumers = best_arms(&pop, Segment::Consumer);
    let businesses = best_arms(&pop, Segment::Business);
    let push = |(_, (c, _)): &(&SimDebtor, Arm)| {
        matches!(c, SimChannel::Sms | SimChannel::Whatsapp | SimChannel::Messenger)
    };
    let consumer_push = share(&consumers, push);
    let business_push = share(&businesses, push);
    assert!(consumer_push > 0.35, "{consumer_push}");
    assert!(business_push < 0.05, "{business_push}");
    let email = |(_, (c, _)): &(&SimDebtor, Arm)| *c == SimChannel::Email;
    assert!(share(&businesses, email) > share(&consumers, email) + 0.3);

    // Hours: consumers lean to lunch and evening, businesses to office hours.
    let mean_peak = |segment| {
        let peaks: Vec<f64> =
            pop.debtors().iter().filter(|d| d.segment == segment).map(|d| f64::from(d.peak_hour())).collect();
        peaks.iter().sum::<f64>() / peaks.len() as f64
    };
    let (consumer_hour, business_hour) = (mean_peak(Segment::Consumer), mean_peak(Segment::Business));
    assert!(consumer_hour > business_hour + 2.0, "{consumer_hour} vs {business_hour}");
}

#[test]
fn letters_gain_and_slow_payers_respond_on_late_stages() {
    let pop = population(19);
    let model = pop.model();
    let letter_best = |stage| {
        let best: Vec<Arm> = pop
            .debtors()
            .iter()
            .filter(|d| d.payer != PayerType::Never)
            .map(|d| model.oracle_arm(d, &daytime_arms(d), stage))
            .collect();
        share(&best, |a| a.0 == SimChannel::Letter)
    };
    assert!(letter_best(4) > letter_best(1) + 0.2);

    let mean_best = |payer, stage| {
        let ps: Vec<f64> = pop
            .debtors()
            .iter()
            .filter(|d| d.payer == payer)
            .map(|d| model.best_arm(d, &daytime_arms(d), stage).expect("letter").1)
            .collect();
        ps.iter().sum::<f64>() / ps.len() as f64
    };
    assert!(mean_best(PayerType::Slow, 1) < 0.15);
    assert!(mean_best(PayerType::Slow, 4) > 3.0 * mean_best(PayerType::Slow, 1));
    assert!(mean_best(PayerType::Struggling, 4) < 0.2);
    assert!(mean_best(PayerType::Struggling, 4) > mean_best(PayerType::Struggling, 1));
}

#[test]
fn a_forgetful_consumer_has_good_and_bad_arms() {
    let pop = population(20);
    let model = pop.model();
    let forgetful: Vec<&SimDebtor> = pop
        .debtors()
        .iter()
        .filter(|d| d.segment == Segment::Consumer && d.payer == PayerType::Forgetful)
        .collect();
    let mean =
        |f: &dyn Fn(&SimDebtor) -> f64| forgetful.iter().map(|d| f(d)).sum::<f64>() / forgetful.len() as f64;
    let best = mean(&|d| model.best_arm(d, &daytime_arms(d), 1).expect("letter").1);
    let worst = mean(&|d| {
        daytime_arms(d).iter().map(|&(c, h)| model.pay_probability(d, c, h, 1)).fold(1.0, f64::min)
    });
    assert!((0.5..=0.7).contains(&best), "best {best}");
    assert!(worst < 0.12, "worst {worst}");
}

#[test]
fn responses_happen_as_often_as_the_probability_says() {
    let pop = population(21);
    let model = pop.model();
    let mut r = rng(21);
    let draws = 20_000;
    // A spread of arms: each payer type, each channel, a good and a poor hour, early and late.
    let mut checked = 0;
    for payer in [PayerType::Forgetful, PayerType::Slow, PayerType::Punctual, PayerType::Struggling] {
        let d = pop.debtors().iter().find(|d| d.payer == payer).expect("payer present");
        for (i, &channel) in d.contact.channels().iter().enumerate() {
            let hour = if i % 2 == 0 { d.peak_hour() } else { 7 };
            let stage = (i % 4) as u8 + 1;
            let p = model.pay_probability(d, channel, hour, stage);
            let mut paid = 0;
            for _ in 0..draws {
                if let Response::Pays { after_hours } = model.respond(d, channel, hour, stage, &mut r) {
                    assert!((0.0..ATTRIBUTION_WINDOW_HOURS).contains(&after_hours));
                    paid += 1;
                }
            }
            let freq = f64::from(paid) / f64::from(draws);
            let sigma = (p * (1.0 - p) / f64::from(draws)).sqrt();
            assert!(
                (freq - p).abs() <= 4.5 * sigma + 1e-3,
                "{payer:?} {channel} {hour}h stage {stage}: {freq} vs {p}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8);
}

#[test]
fn punctual_debtors_pay_unprompted_and_others_rarely() {
    let pop = population(22);
    let model = pop.model();
    let invoices = pop.invoices(22);
    let mut r = rng(22);
    let mut by_payer: BTreeMap<PayerType, (u32, u32)> = BTreeMap::new();
    for inv in &invoices {
        let d = &pop.debtors()[inv.debtor_index];
        let early = model.unprompted_payment_day(d, inv, &mut r).is_some_and(|day| day <= 3);
        let entry = by_payer.entry(d.payer).or_default();
        entry.0 += u32::from(early);
        entry.1 += 1;
    }
    let rate = |payer| {
        let (early, all) = by_payer[&payer];
        f64::from(early) / f64::from(all)
    };
    assert!(rate(PayerType::Punctual) > 0.7, "{}", rate(PayerType::Punctual));
    for payer in [PayerType::Forgetful, PayerType::Slow, PayerType::Struggling] {
        assert!(rate(payer) < 0.05, "{payer:?}: {}", rate(payer));
    }
}

proptest! {
    #[test]
    fn probabilities_are_always_probabilities(
        seed in any::<u64>(),
        index in 0usize..20,
        channel in prop::sample::select(SimChannel::ALL.to_vec()),
        hour in any::<u8>(),
        stage in any::<u8>(),
    ) {
        let pop = small(seed, 20);
        let d = &pop.debtors()[index];
        let p = pop.model().pay_probability(d, channel, hour, stage);
        prop_assert!((0.0..=1.0).contains(&p), "{p}");
    }

    #[test]
    fn the_oracle_picks_a_maximal_allowed_arm(
        seed in any::<u64>(),
        index in 0usize..20,
        allowed in prop::collection::vec((prop::sample::select(SimChannel::ALL.to_vec()), 0u8..24), 1..12),
        stage in 1u8..=4,
    ) {
        let pop = small(seed, 20);
        let d = &pop.debtors()[index];
        let model = pop.model();
        let best = model.oracle_arm(d, &allowed, stage);
        prop_assert!(allowed.contains(&best));
        let p_best = model.pay_probability(d, best.0, best.1, stage);
        for &(c, h) in &allowed {
            prop_assert!(p_best >= model.pay_probability(d, c, h, stage));
        }
    }
}
