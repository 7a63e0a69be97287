//! The bandit learns: a clear winner takes over, the order in which outcomes arrive does not
//! change what is learned, per-debtor evidence personalises, and a fitted prior warm-starts.

use linfa::ParamGuard;
use mahnwerk_models::bandit::{
    fit_prior, ArmEstimate, Bandit, BanditError, BanditParams, Context, LoggedDecision, Request,
};
use mahnwerk_models::sim::rng;
use rand::seq::SliceRandom;
use rand::Rng;

fn params() -> BanditParams {
    BanditParams::new().hash_bits(14)
}

#[test]
fn on_two_arms_with_a_clear_winner_its_share_rises_above_90_percent() {
    let mut bandit = Bandit::new(params().check().expect("valid"), 21);
    let mut world = rng(21);
    let ctx = Context::new().cat("segment", "b2c").num("stage", 1.0);
    let request = Request::new(&ctx, &["email", "sms"], &[10]);
    let mut late = Vec::new();
    let mut winner_in_last_500 = 0;
    for round in 0..2000 {
        let d = bandit.decide(&request).expect("valid");
        let p = if d.channel(&request) == "sms" { 0.30 } else { 0.15 };
        late.push((d.id, f64::from(world.gen_bool(p))));
        // Outcomes come back in batches of 20, shuffled.
        if late.len() == 20 {
            late.shuffle(&mut world);
            for (id, reward) in late.drain(..) {
                bandit.outcome(id, reward).expect("pending");
            }
        }
        if round >= 1500 && d.channel(&request) == "sms" {
            winner_in_last_500 += 1;
        }
    }
    let share = f64::from(winner_in_last_500) / 500.0;
    assert!(share > 0.9, "winner share in the last 500 rounds: {share}");
}

/// A synthetic world: consumers answer SMS in the evening, businesses email in the morning.
fn pay_probability(segment: &str, channel: &str, hour: u8) -> f64 {
    match (segment, channel, hour >= 17) {
        ("b2c", "sms", true) => 0.5,
        ("b2b", "email", false) => 0.45,
        (_, "letter", _) => 0.2,
        _ => 0.1,
    }
}

const CHANNELS: [&str; 3] = ["email", "sms", "letter"];
const HOURS: [u8; 4] = [9, 11, 18, 20];

fn segment_context(segment: &str) -> Context {
    Context::new().cat("segment", segment).num("stage", 2.0)
}

/// The arm with the highest posterior mean P(pay) for a segment, and every arm's estimate.
fn preferred(bandit: &mut Bandit, segment: &str) -> (String, u8, Vec<ArmEstimate>) {
    let ctx = segment_context(segment);
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    let estimates = bandit.estimates(&request).expect("valid");
    let best = estimates.iter().max_by(|a, b| a.p_pay.total_cmp(&b.p_pay)).expect("arms");
    (request.channels[best.channel_index].to_owned(), best.hour, estimates)
}

/// Channels ordered by the estimate of their best arm.
fn channel_ranking(estimates: &[ArmEstimate]) -> Vec<&'static str> {
    let best =
        |c: usize| estimates.iter().filter(|e| e.channel_index == c).map(|e| e.p_pay).fold(0.0, f64::max);
    let mut channels: Vec<usize> = (0..CHANNELS.len()).collect();
    channels.sort_by(|&x, &y| best(y).total_cmp(&best(x)));
    channels.into_iter().map(|c| CHANNELS[c]).collect()
}

#[test]
fn outcomes_in_shuffled_order_teach_the_same_preferences() {
    // 3000 decisions made before any outcome, so both learners hold the same pending set.
    let mut in_order = Bandit::new(params().epsilon(1.0).check().expect("valid"), 5);
    let mut world = rng(5);
    let mut outcomes = Vec::new();
    for i in 0..3000 {
        let segment = if i % 2 == 0 { "b2c" } else { "b2b" };
        let ctx = segment_context(segment);
        let request = Request::new(&ctx, &CHANNELS, &HOURS);
        let d = in_order.decide(&request).expect("valid");
        let p = pay_probability(segment, d.channel(&request), d.hour);
        outcomes.push((d.id, f64::from(world.gen_bool(p))));
    }
    let mut shuffled = in_order.clone();
    for &(id, reward) in &outcomes {
        in_order.outcome(id, reward).expect("pending");
    }
    outcomes.shuffle(&mut world);
    for &(id, reward) in &outcomes {
        shuffled.outcome(id, reward).expect("pending");
    }
    for (segment, ranking) in [("b2c", ["sms", "letter", "email"]), ("b2b", ["email", "letter", "sms"])] {
        let (a, b) = (preferred(&mut in_order, segment), preferred(&mut shuffled, segment));
        // The same preferred channel and time of day, the right one...
        assert_eq!((a.0.as_str(), a.1 >= 17), (b.0.as_str(), b.1 >= 17), "{segment}");
        assert_eq!(a.0, ranking[0]);
        // ...the same (and true) ranking of the channels by their best arm...
        assert_eq!(channel_ranking(&a.2), ranking, "{segment} in order");
        assert_eq!(channel_ranking(&b.2), ranking, "{segment} shuffled");
        // ...and estimates within two posterior standard deviations of each other. Sequential
        // diagonal updates are not exactly order-free: the gap reaches about one (0.05 in P(pay)).
        for (ea, eb) in a.2.iter().zip(&b.2) {
            let gap = (ea.mean_logit - eb.mean_logit).abs();
            assert!(gap < 2.0 * ea.sd_logit.max(eb.sd_logit), "{segment}: {ea:?} vs {eb:?}");
        }
    }
}

#[test]
fn a_debtor_with_evidence_deviates_and_one_without_stays_with_the_population() {
    let mut bandit = Bandit::new(params().check().expect("valid"), 8);
    let ctx = segment_context("b2c");
    fn request<'a>(ctx: &'a Context, debtor: &'a str) -> Request<'a> {
        Request::new(ctx, &["email", "sms"], &[19]).debtor(debtor)
    }
    let mut world = rng(8);
    // The population pays on SMS; debtor X has no phone that works but reads email.
    for i in 0..2000 {
        let debtor = if i % 10 == 0 { "X".to_owned() } else { format!("P-{i}") };
        let r = request(&ctx, &debtor);
        let d = bandit.decide(&r).expect("valid");
        let p = match (debtor.as_str(), d.channel(&r)) {
            ("X", "sms") => 0.0,
            ("X", _) => 0.6,
            (_, "sms") => 0.5,
            _ => 0.15,
        };
        bandit.outcome(d.id, f64::from(world.gen_bool(p))).expect("pending");
    }
    let sms_over_email = |bandit: &mut Bandit, debtor| {
        let e = bandit.estimates(&request(&ctx, debtor)).expect("valid");
        e[1].p_pay - e[0].p_pay
    };
    assert!(sms_over_email(&mut bandit, "newcomer") > 0.1, "a newcomer is scored as the population");
    assert!(sms_over_email(&mut bandit, "X") < -0.1, "X has shown it reads email");
}

fn uniform_log(n: usize, seed: u64) -> Vec<LoggedDecision> {
    let mut world = rng(seed);
    (0..n)
        .map(|i| {
            let segment = if i % 2 == 0 { "b2c" } else { "b2b" };
            let channel = CHANNELS[world.gen_range(0..CHANNELS.len())];
            let hour = HOURS[world.gen_range(0..HOURS.len())];
            let paid = world.gen_bool(pay_probability(segment, channel, hour));
            LoggedDecision {
                debtor: Some(format!("C-{i}")),
                context: segment_context(segment),
                channel: channel.to_owned(),
                hour,
                reward: Some(f64::from(paid)),
            }
        })
        .collect()
}

#[test]
fn a_prior_fitted_on_a_log_warm_starts_a_new_bandit() {
    let params = params().check().expect("valid");
    let prior = fit_prior(&uniform_log(3000, 9), &params).expect("fits");
    assert!(!prior.is_empty());
    let mut warm = Bandit::with_prior(params.clone(), &prior, 9).expect("matching params");
    assert_eq!(warm.stats().updates, 0);
    assert_eq!(preferred(&mut warm, "b2c").0, "sms");
    assert!(preferred(&mut warm, "b2c").1 >= 17);
    assert_eq!(preferred(&mut warm, "b2b").0, "email");

    // From the first decisions on, the warm bandit mostly sends consumers an evening SMS.
    let ctx = segment_context("b2c");
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    let good = (0..200)
        .filter(|_| {
            let d = warm.decide(&request).expect("valid");
            d.channel(&request) == "sms" && d.hour >= 17
        })
        .count();
    assert!(good > 120, "{good} of 200");

    // The log line format: unknown fields are ignored, a pending reward is null.
    let line = r#"{"id":"d1","at":"2026-10-20T09:00:00Z","debtor":"C-1","context":{"segment":"b2c"},
        "channel":"sms","hour":18,"propensity":0.4,"reward":null,"policy_version":3}"#;
    let logged: LoggedDecision = serde_json::from_str(line).expect("a decision log line");
    assert_eq!(logged.reward, None);
    assert_eq!(warm.observe(&logged), Ok(()));
    assert_eq!(warm.stats().updates, 0, "a pending line teaches nothing");
}

#[test]
fn a_prior_needs_both_outcomes_and_matching_hashing() {
    let params = params().check().expect("valid");
    let mut log = uniform_log(50, 10);
    for l in &mut log {
        l.reward = Some(0.0);
    }
    assert!(matches!(fit_prior(&log, &params), Err(BanditError::Prior(_))));
    assert!(matches!(fit_prior(&[], &params), Err(BanditError::Prior(_))));
    let prior = fit_prior(&uniform_log(200, 11), &params).expect("fits");
    let other = BanditParams::new().hash_bits(16).check().expect("valid");
    assert!(matches!(Bandit::with_prior(other, &prior, 1), Err(BanditError::Prior(_))));
}

#[test]
fn observing_with_weight_one_is_observing() {
    let params = params().check().expect("valid");
    let (mut plain, mut weighted) = (Bandit::new(params.clone(), 5), Bandit::new(params, 5));
    for (i, mut logged) in uniform_log(800, 12).into_iter().enumerate() {
        // Twenty recurring debtors, so that their own effects are learned too.
        logged.debtor = Some(format!("C-{}", i % 20));
        plain.observe(&logged).expect("valid");
        weighted.observe_weighted(&logged, 1.0).expect("valid");
    }
    assert_eq!(plain.stats().updates, 800);
    assert_eq!(plain.snapshot(), weighted.snapshot(), "the same posterior, bit for bit");
}

#[test]
fn a_weight_scales_what_one_decision_teaches() {
    let params = params().check().expect("valid");
    let ctx = segment_context("b2c");
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    let paid = LoggedDecision {
        debtor: None,
        context: ctx.clone(),
        channel: "sms".into(),
        hour: 18,
        reward: Some(1.0),
    };
    let sms_18 = |bandit: &mut Bandit| {
        let e = bandit.estimates(&request).expect("valid");
        *e.iter().find(|e| e.channel_index == 1 && e.hour == 18).expect("the arm")
    };
    let mut by_weight = Vec::new();
    for weight in [0.0, 0.5, 1.0, 5.0] {
        let mut bandit = Bandit::new(params.clone(), 5);
        bandit.observe_weighted(&paid, weight).expect("valid");
        by_weight.push(sms_18(&mut bandit));
    }
    let untouched = sms_18(&mut Bandit::new(params.clone(), 5));
    assert_eq!(by_weight[0], untouched, "weight 0 teaches nothing");
    for pair in by_weight.windows(2) {
        assert!(pair[1].mean_logit > pair[0].mean_logit, "a heavier payment pulls further: {pair:?}");
        assert!(pair[1].sd_logit < pair[0].sd_logit, "and makes the model surer: {pair:?}");
    }
}

#[test]
fn a_negative_or_non_finite_weight_is_refused_and_teaches_nothing() {
    let params = params().check().expect("valid");
    let mut bandit = Bandit::new(params, 5);
    let logged = uniform_log(1, 13).remove(0);
    let before = bandit.snapshot();
    for weight in [-0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        match bandit.observe_weighted(&logged, weight) {
            Err(BanditError::InvalidRequest { field: "weight", reason }) => {
                assert!(reason.contains("finite and >= 0"), "{reason}")
            }
            other => panic!("weight {weight}: {other:?}"),
        }
    }
    assert_eq!(bandit.snapshot(), before);
}
