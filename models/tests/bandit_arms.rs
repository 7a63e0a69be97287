//! The policy never leaves the allowed arms, and every bad input is an error value, not a panic.

use linfa::ParamGuard;
use mahnwerk_models::bandit::{
    Bandit, BanditError, BanditParams, Context, DecisionId, FeatureValue, Request,
};
use proptest::prelude::*;

fn bandit(seed: u64) -> Bandit {
    Bandit::new(BanditParams::new().hash_bits(12).check().expect("valid"), seed)
}

fn feature_value() -> impl Strategy<Value = FeatureValue> {
    prop_oneof![any::<f64>().prop_map(FeatureValue::Num), "[a-z0-9 ]{0,6}".prop_map(FeatureValue::Cat),]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decisions_stay_among_the_allowed_arms(
        channels in prop::collection::btree_set("[a-z]{1,8}", 1..6),
        hours in prop::collection::btree_set(0u8..24, 1..10),
        context in prop::collection::vec(("[a-z_]{1,10}", feature_value()), 0..8),
        debtor in prop::option::of("[A-Z0-9-]{1,8}"),
        lambda in prop_oneof![Just(0.0), 0.0..5.0],
        costs in prop::collection::vec(0.0..3.0f64, 6),
        rewards in prop::collection::vec(0.0..=1.0f64, 0..20),
        seed in any::<u64>(),
    ) {
        let channels: Vec<&str> = channels.iter().map(String::as_str).collect();
        let hours: Vec<u8> = hours.into_iter().collect();
        let context: Context = context.into_iter().collect();
        let params = BanditParams::new().hash_bits(12).lambda(lambda).check().expect("valid");
        let mut bandit = Bandit::new(params, seed);
        let mut request = Request::new(&context, &channels, &hours).costs(&costs[..channels.len()]).amount_weight(2.5);
        if let Some(d) = &debtor {
            request = request.debtor(d);
        }
        let floor = bandit.params().epsilon() / request.arms() as f64;
        // Learn a little first, so the posterior is not the prior.
        for &reward in &rewards {
            let d = bandit.decide(&request).expect("valid request");
            bandit.outcome(d.id, reward).expect("pending");
        }
        for _ in 0..5 {
            let d = bandit.decide(&request).expect("valid request");
            prop_assert!(channels.contains(&d.channel(&request)));
            prop_assert!(hours.contains(&d.hour));
            prop_assert!(d.propensity >= floor - 1e-12 && d.propensity <= 1.0, "{}", d.propensity);
        }
    }
}

#[test]
fn malformed_requests_name_the_field() {
    let mut b = bandit(1);
    let ctx = Context::new();
    let field = |r: Result<_, BanditError>| match r {
        Err(BanditError::InvalidRequest { field, .. }) => field,
        other => panic!("expected InvalidRequest, got {other:?}"),
    };
    assert_eq!(field(b.decide(&Request::new(&ctx, &[], &[9]))), "channels");
    assert_eq!(field(b.decide(&Request::new(&ctx, &[""], &[9]))), "channels");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms", "sms"], &[9]))), "channels");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms"], &[]))), "hours");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms"], &[24]))), "hours");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms"], &[9, 9]))), "hours");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms"], &[9]).costs(&[1.0, 2.0]))), "costs_eur");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms"], &[9]).costs(&[f64::NAN]))), "costs_eur");
    assert_eq!(field(b.decide(&Request::new(&ctx, &["sms"], &[9]).amount_weight(0.0))), "amount_weight");
    assert_eq!(b.pending(), 0, "a refused request leaves nothing pending");
}

#[test]
fn outcomes_for_unknown_or_settled_ids_and_bad_rewards_are_errors() {
    let mut b = bandit(2);
    let ctx = Context::new().num("stage", 1.0);
    let request = Request::new(&ctx, &["email", "letter"], &[10]);
    assert_eq!(b.outcome(DecisionId(99), 1.0), Err(BanditError::UnknownDecision(DecisionId(99))));
    let d = b.decide(&request).expect("valid");
    assert_eq!(b.outcome(d.id, 1.5), Err(BanditError::InvalidReward(1.5)));
    assert!(matches!(b.outcome(d.id, f64::NAN), Err(BanditError::InvalidReward(_))));
    assert_eq!(b.pending(), 1, "a bad reward does not consume the decision");
    assert_eq!(b.outcome(d.id, 0.0), Ok(()));
    assert_eq!(b.outcome(d.id, 0.0), Err(BanditError::UnknownDecision(d.id)));
    assert_eq!(b.stats().updates, 1);
}

#[test]
fn old_pending_decisions_expire_and_the_store_is_bounded() {
    let params =
        BanditParams::new().hash_bits(12).pending_ttl_secs(3600).max_pending(3).check().expect("valid");
    let mut b = Bandit::new(params, 3);
    let ctx = Context::new();
    let ids: Vec<_> = (0..4u64)
        .map(|i| b.decide(&Request::new(&ctx, &["sms"], &[9]).at(i * 1000)).expect("valid").id)
        .collect();
    assert_eq!((b.pending(), b.stats().evicted), (3, 1));
    assert_eq!(b.outcome(ids[0], 1.0), Err(BanditError::UnknownDecision(ids[0])));
    // With a one-hour TTL, at 5600 whatever was made at or before 2000 expires; 3000 is kept.
    assert_eq!(b.expire(5599), 1);
    assert_eq!(b.expire(5600), 1);
    assert_eq!(b.outcome(ids[1], 1.0), Err(BanditError::UnknownDecision(ids[1])));
    assert_eq!(b.outcome(ids[3], 1.0), Ok(()));
    assert_eq!(b.stats().expired, 2);
}

#[test]
fn contexts_read_the_protocol_json() {
    let json = r#"{"amount":123.4,"days_overdue":9,"stage":1,"segment":"b2c","vip":true,"note":null}"#;
    let ctx: Context = serde_json::from_str(json).expect("valid context");
    let entries: Vec<_> = ctx.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect();
    assert_eq!(
        entries,
        vec![
            ("amount".into(), FeatureValue::Num(123.4)),
            ("days_overdue".into(), FeatureValue::Num(9.0)),
            ("stage".into(), FeatureValue::Num(1.0)),
            ("segment".into(), FeatureValue::Cat("b2c".into())),
            ("vip".into(), FeatureValue::Cat("true".into())),
        ]
    );
    assert!(serde_json::from_str::<Context>(r#"{"a":[1]}"#).is_err());
}
