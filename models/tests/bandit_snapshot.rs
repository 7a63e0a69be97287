//! Snapshots: a serialised round trip gives the same decisions for the same seed, pending
//! decisions survive it, and other format versions or inconsistent content are refused.

use linfa::ParamGuard;
use mahnwerk_models::bandit::{
    Bandit, BanditError, BanditParams, Context, Decision, Request, Snapshot, SNAPSHOT_VERSION,
};

const CHANNELS: [&str; 3] = ["email", "sms", "letter"];
const HOURS: [u8; 4] = [9, 12, 18, 20];

fn context(i: u64) -> Context {
    Context::new()
        .num("amount", 20.0 + (i % 13) as f64 * 37.5)
        .num("stage", (1 + i % 4) as f64)
        .cat("segment", if i % 3 == 0 { "b2b" } else { "b2c" })
}

/// A bandit that has learned from 300 outcomes and still waits for 40.
fn trained() -> (Bandit, Vec<Decision>) {
    let params = BanditParams::new().hash_bits(14).lambda(0.1).check().expect("valid");
    let mut bandit = Bandit::new(params, 11);
    let mut open = Vec::new();
    for i in 0..340u64 {
        let ctx = context(i);
        let debtor = format!("C-{}", i % 50);
        let request = Request::new(&ctx, &CHANNELS, &HOURS).debtor(&debtor).costs(&[0.0, 0.08, 1.2]).at(i);
        let d = bandit.decide(&request).expect("valid");
        if i < 300 {
            bandit.outcome(d.id, f64::from(d.hour >= 18 && i % 2 == 0)).expect("pending");
        } else {
            open.push(d);
        }
    }
    (bandit, open)
}

fn decisions(bandit: &mut Bandit) -> Vec<Decision> {
    (0..100u64)
        .map(|i| {
            let ctx = context(i * 7);
            let debtor = format!("C-{}", i % 60);
            let request = Request::new(&ctx, &CHANNELS, &HOURS)
                .debtor(&debtor)
                .costs(&[0.0, 0.08, 1.2])
                .amount_weight(10.0);
            bandit.decide(&request).expect("valid")
        })
        .collect()
}

#[test]
fn a_json_round_trip_gives_identical_decisions_for_the_same_seed() {
    let (mut original, _) = trained();
    let snapshot = original.snapshot();
    let json = serde_json::to_string(&snapshot).expect("serialises");
    let read: Snapshot = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(read, snapshot);

    let mut restored = Bandit::from_snapshot(read, 7).expect("valid snapshot");
    original.reseed(7);
    let expected = decisions(&mut original);
    assert_eq!(decisions(&mut restored), expected);
    assert_eq!(restored.stats(), original.stats());

    // A different seed draws differently from the same state.
    let mut other = Bandit::from_snapshot(snapshot, 8).expect("valid snapshot");
    assert_ne!(decisions(&mut other), expected);
}

#[test]
fn pending_decisions_survive_a_restore_and_learn_the_same() {
    let (mut original, open) = trained();
    let mut restored = Bandit::from_snapshot(original.snapshot(), 1).expect("valid snapshot");
    assert_eq!(restored.pending(), 40);
    for (k, d) in open.iter().enumerate() {
        let reward = f64::from(k % 3 == 0);
        original.outcome(d.id, reward).expect("pending");
        restored.outcome(d.id, reward).expect("pending after restore");
    }
    assert_eq!(restored.snapshot(), original.snapshot());
}

#[test]
fn a_young_model_makes_a_small_snapshot() {
    let (bandit, _) = trained();
    let json = serde_json::to_string(&bandit.snapshot()).expect("serialises");
    // 2^14 slots of which a few thousand are touched; dense would be about 300 kB.
    assert!(json.len() < 250_000, "{} bytes", json.len());
}

#[test]
fn a_version_1_snapshot_still_loads_with_its_population_weights_and_no_debtors() {
    let (mut bandit, open) = trained();
    let mut value = serde_json::to_value(bandit.snapshot()).expect("serialises");
    value["version"] = 1.into();
    value.as_object_mut().expect("an object").remove("debtors");
    let params = value["params"].as_object_mut().expect("an object");
    params.remove("debtor_harmonics");
    params.remove("max_debtors");
    let snapshot: Snapshot = serde_json::from_value(value).expect("a version 1 snapshot reads");
    let mut old = Bandit::from_snapshot(snapshot, 3).expect("version 1 is still read");
    assert_eq!((old.debtors(), old.pending()), (0, 40));
    assert!(bandit.debtors() > 0);
    // Without a debtor, both score from the same population weights.
    let ctx = context(1);
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    assert_eq!(old.estimates(&request).expect("valid"), bandit.estimates(&request).expect("valid"));
    assert_eq!(old.outcome(open[0].id, 1.0), Ok(()));
}

#[test]
fn other_versions_and_inconsistent_content_are_refused() {
    let (bandit, _) = trained();
    let mut value = serde_json::to_value(bandit.snapshot()).expect("serialises");
    value["version"] = (SNAPSHOT_VERSION + 1).into();
    let snapshot: Snapshot = serde_json::from_value(value.clone()).expect("same shape");
    assert_eq!(
        Bandit::from_snapshot(snapshot, 1).err(),
        Some(BanditError::SnapshotVersion { found: SNAPSHOT_VERSION + 1, supported: SNAPSHOT_VERSION })
    );

    value["version"] = 0.into();
    let snapshot: Snapshot = serde_json::from_value(value.clone()).expect("same shape");
    assert!(matches!(Bandit::from_snapshot(snapshot, 1), Err(BanditError::SnapshotVersion { found: 0, .. })));

    value["version"] = SNAPSHOT_VERSION.into();
    let mut broken = value.clone();
    broken["debtors"][0][1]["mean"][0] = serde_json::Value::String("NaN".into());
    assert!(serde_json::from_value::<Snapshot>(broken).is_err(), "a debtor's mean is a number");
    let mut broken = value.clone();
    let cov = broken["debtors"][0][1]["cov"].as_array_mut().expect("a debtor's covariance");
    cov.pop();
    let snapshot: Snapshot = serde_json::from_value(broken).expect("same shape");
    assert!(matches!(Bandit::from_snapshot(snapshot, 1), Err(BanditError::InvalidSnapshot(_))));

    value["slots"][0] = (1u32 << 20).into();
    let snapshot: Snapshot = serde_json::from_value(value.clone()).expect("same shape");
    assert!(matches!(Bandit::from_snapshot(snapshot, 1), Err(BanditError::InvalidSnapshot(_))));

    value["params"]["epsilon"] = 2.0.into();
    let snapshot: Snapshot = serde_json::from_value(value).expect("same shape");
    assert!(matches!(
        Bandit::from_snapshot(snapshot, 1),
        Err(BanditError::InvalidParam { name: "epsilon", .. })
    ));
}
