//! The recommender's rules, each in a small world whose right answer is plain: exclusion of
//! recent purchases, the repeatable exception, inactive items, new debtors, reasons, determinism,
//! snapshots, incremental counts; and a property test over random worlds.

use linfa::ParamGuard;
use proptest::prelude::*;

use super::*;

fn line(debtor: &str, segment: &str, sku: &str, day: Day) -> Purchase {
    Purchase {
        debtor: debtor.into(),
        segment: segment.into(),
        sku: sku.into(),
        day,
        quantity: 1,
        amount_cents: 100,
    }
}

fn item(sku: &str, active: bool, repeatable: bool) -> CatalogueItem {
    CatalogueItem {
        sku: sku.into(),
        name: format!("Item {sku}"),
        url: format!("https://shop.example/{sku}"),
        price_cents: 1000,
        category: "all".into(),
        active,
        repeatable,
    }
}

fn catalogue(items: &[(&str, bool, bool)]) -> Catalogue {
    Catalogue::new(items.iter().map(|&(s, a, r)| item(s, a, r)).collect()).unwrap()
}

/// Twenty businesses buy A then B (complements), a few also C; consumers buy mostly P and Q.
fn world() -> Vec<Purchase> {
    let mut lines = Vec::new();
    for d in 0..20 {
        let debtor = format!("B{d}");
        lines.push(line(&debtor, "business", "A", 10));
        lines.push(line(&debtor, "business", "B", 20));
        if d % 4 == 0 {
            lines.push(line(&debtor, "business", "C", 30));
        }
    }
    for d in 0..30 {
        let debtor = format!("C{d}");
        lines.push(line(&debtor, "consumer", "P", 40));
        lines.push(line(&debtor, "consumer", if d % 3 == 0 { "A" } else { "Q" }, 50));
    }
    lines
}

fn all_active() -> Catalogue {
    catalogue(&[
        ("A", true, false),
        ("B", true, false),
        ("C", true, false),
        ("P", true, false),
        ("Q", true, false),
    ])
}

fn bought(segment: &str, items: &[(&str, Day)]) -> DebtorHistory {
    DebtorHistory {
        segment: segment.into(),
        bought: items.iter().map(|&(sku, day)| Bought { sku: sku.into(), day }).collect(),
    }
}

fn skus(recs: &[Recommendation]) -> Vec<&str> {
    recs.iter().map(|r| r.sku.as_str()).collect()
}

fn fitted() -> Recommender {
    Recommender::fit(ValidRecommenderParams::default(), &world())
}

#[test]
fn a_complement_comes_first_with_the_item_it_was_bought_with() {
    let recs = fitted().recommend(&bought("business", &[("A", 100)]), 100, &all_active());
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].sku, "B");
    assert_eq!(recs[0].reason, Reason::OftenBoughtWith { sku: "A".into() });
    assert!(recs.windows(2).all(|w| w[0].score >= w[1].score), "{recs:?}");
}

#[test]
fn an_item_bought_recently_is_not_offered_again_until_the_window_has_passed() {
    let recommender = fitted();
    let history = bought("business", &[("A", 100), ("B", 100)]);
    let soon = recommender.recommend(&history, 189, &all_active());
    assert!(!skus(&soon).contains(&"B") && !skus(&soon).contains(&"A"), "{soon:?}");
    let later = recommender.recommend(&history, 190, &all_active());
    assert!(skus(&later).contains(&"B"), "90 days after, B may be offered again: {later:?}");
}

#[test]
fn a_repeatable_item_is_offered_right_after_it_was_bought() {
    let repeatable_b = catalogue(&[
        ("A", true, false),
        ("B", true, true),
        ("C", true, false),
        ("P", true, false),
        ("Q", true, false),
    ]);
    let history = bought("business", &[("A", 100), ("B", 100)]);
    let recs = fitted().recommend(&history, 101, &repeatable_b);
    assert!(skus(&recs).contains(&"B"), "{recs:?}");
    assert!(!skus(&recs).contains(&"A"));
}

#[test]
fn own_repeatables_come_back_as_bought_before_at_most_max_bought_before_of_them() {
    let repeatable = catalogue(&[
        ("A", true, true),
        ("B", true, true),
        ("C", true, false),
        ("P", true, false),
        ("Q", true, false),
    ]);
    let history = bought("business", &[("A", 95), ("B", 98)]);
    let recs = fitted().recommend(&history, 100, &repeatable);
    assert_eq!(skus(&recs)[..2], ["B", "A"], "{recs:?}");
    assert_eq!(recs[0].reason, Reason::BoughtBefore { sku: "B".into() });

    let capped = RecommenderParams::new().max_bought_before(1).check().unwrap();
    let recs = Recommender::fit(capped, &world()).recommend(&history, 100, &repeatable);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs.iter().filter(|r| r.sku == "A" || r.sku == "B").count(), 1, "{recs:?}");
}

#[test]
fn an_inactive_item_is_never_offered_however_well_it_scores() {
    let b_retired = catalogue(&[
        ("A", true, false),
        ("B", false, true),
        ("C", true, false),
        ("P", true, false),
        ("Q", true, false),
    ]);
    let recommender = fitted();
    for history in
        [bought("business", &[("A", 100)]), DebtorHistory::new("business"), DebtorHistory::new("x")]
    {
        let recs = recommender.recommend(&history, 100, &b_retired);
        assert!(!skus(&recs).contains(&"B"), "{recs:?}");
        assert_eq!(recs.len(), 3);
    }
}

#[test]
fn a_new_debtor_gets_their_segments_popular_items_with_that_reason() {
    let recommender = fitted();
    let business = recommender.recommend(&DebtorHistory::new("business"), 100, &all_active());
    assert_eq!(skus(&business), ["B", "A", "C"]);
    let reason = Reason::PopularInSegment { segment: "business".into() };
    assert!(business.iter().all(|r| r.reason == reason), "{business:?}");
    assert_eq!(business[0].reason.render(&all_active()), "popular with businesses like you");

    let consumer = recommender.recommend(&DebtorHistory::new("consumer"), 100, &all_active());
    assert_eq!(skus(&consumer), ["P", "Q", "A"]);

    let unknown = recommender.recommend(&DebtorHistory::new("public sector"), 100, &all_active());
    assert!(unknown.iter().all(|r| r.reason == Reason::Popular), "{unknown:?}");
}

#[test]
fn the_popularity_baselines_keep_the_same_rules() {
    let recommender = fitted();
    let history = bought("business", &[("B", 100)]);
    let segment = recommender.popular(PopularityScope::Segment, &history, 100, &all_active());
    assert_eq!(skus(&segment), ["A", "C"], "B was just bought; P and Q no business bought");
    let everyone = recommender.popular(PopularityScope::Everyone, &history, 100, &all_active());
    assert_eq!(everyone.len(), 3);
    assert!(!skus(&everyone).contains(&"B"));
}

#[test]
fn the_same_lines_give_the_same_model_and_answers() {
    let (a, b) = (fitted(), fitted());
    assert_eq!(a, b);
    let history = bought("consumer", &[("P", 60)]);
    assert_eq!(a.recommend(&history, 70, &all_active()), b.recommend(&history, 70, &all_active()));
}

#[test]
fn a_snapshot_reads_back_to_the_same_recommender_and_refuses_other_versions() {
    let recommender = fitted();
    let json = serde_json::to_string(&recommender).unwrap();
    let back: Recommender = serde_json::from_str(&json).unwrap();
    assert_eq!(back, recommender);
    let history = bought("business", &[("A", 100)]);
    assert_eq!(
        back.recommend(&history, 100, &all_active()),
        recommender.recommend(&history, 100, &all_active())
    );
    assert_eq!(back.meta(), FitMeta { lines: 105, debtors: 50, items: 5, first_day: 10, last_day: 50 });

    let mut newer = recommender.snapshot();
    newer.version = SNAPSHOT_VERSION + 1;
    assert!(matches!(Recommender::from_snapshot(newer), Err(RecommendError::SnapshotVersion { .. })));
    let broken = json.replace("\"skus\":[\"A\",", "\"skus\":[");
    assert!(serde_json::from_str::<Recommender>(&broken).is_err());
}

#[test]
fn counts_added_in_batches_give_the_batch_fit() {
    let lines = world();
    let params = RecommenderParams::new().similarity_half_life_days(30.0).check().unwrap();
    let batch = Recommender::fit(params.clone(), &lines);
    let mut counts = CoPurchases::new(params);
    let (early, late) = lines.split_at(40);
    counts.add(late);
    counts.add(early);
    counts.add(&[]);
    let incremental = counts.recommender();
    assert_eq!(counts.lines(), lines.len() as u64);
    assert_eq!(incremental.meta(), batch.meta());
    for sku in ["A", "B", "C", "P", "Q"] {
        let (x, y) = (batch.similar(sku), incremental.similar(sku));
        assert_eq!(x.len(), y.len(), "{sku}");
        for ((xs, xv), (ys, yv)) in x.iter().zip(&y) {
            assert_eq!(xs, ys, "{sku}");
            assert!((xv - yv).abs() < 1e-5, "{sku}: {xv} vs {yv}");
        }
    }
}

/// A random world: SKUs S0..S7 with random flags (S7 never in the catalogue), random lines,
/// and a debtor with a random history asking on a random day.
#[derive(Debug, Clone)]
struct Case {
    lines: Vec<Purchase>,
    /// (active, repeatable) of S0..S6.
    flags: Vec<(bool, bool)>,
    history: DebtorHistory,
    today: Day,
}

fn arbitrary_case() -> impl Strategy<Value = Case> {
    let segments = ["business", "consumer", "new"];
    let lines = prop::collection::vec((0u8..12, 0usize..2, 0u8..8, 0i16..400), 0..120);
    let flags = prop::collection::vec((any::<bool>(), any::<bool>()), 7);
    let history = prop::collection::vec((0u8..8, 0i16..400), 0..10);
    (lines, flags, history, 0usize..3, 0i16..500).prop_map(move |(lines, flags, history, segment, today)| {
        Case {
            lines: lines
                .into_iter()
                .map(|(d, s, sku, day)| line(&format!("D{d}"), segments[s], &format!("S{sku}"), day.into()))
                .collect(),
            flags,
            history: DebtorHistory {
                segment: segments[segment].into(),
                bought: history
                    .iter()
                    .map(|&(s, d)| Bought { sku: format!("S{s}"), day: d.into() })
                    .collect(),
            },
            today: today.into(),
        }
    })
}

proptest! {
    #[test]
    fn no_recommendation_is_inactive_unknown_or_recently_bought_and_not_repeatable(
        case in arbitrary_case(),
        exclude in 0u32..200,
    ) {
        let Case { lines, flags, history, today } = case;
        let items: Vec<CatalogueItem> =
            flags.iter().enumerate().map(|(i, &(a, r))| item(&format!("S{i}"), a, r)).collect();
        let catalogue = Catalogue::new(items).unwrap();
        let params = RecommenderParams::new().exclude_recent_days(exclude).check().unwrap();
        let recommender = Recommender::fit(params, &lines);
        let baseline = recommender.popular(PopularityScope::Everyone, &history, today, &catalogue);
        let recs = recommender.recommend(&history, today, &catalogue);
        prop_assert_eq!(recs.len(), baseline.len(), "both fill up to k from the same eligible items");
        for (i, rec) in recs.iter().enumerate() {
            let item = catalogue.get(&rec.sku);
            prop_assert!(item.is_some_and(|it| it.active), "{} unknown or inactive", rec.sku);
            let recent = history.bought.iter().any(|b| b.sku == rec.sku && today - b.day < exclude as Day);
            prop_assert!(!recent || item.is_some_and(|it| it.repeatable), "{} bought recently", rec.sku);
            prop_assert!(!recs[..i].iter().any(|r| r.sku == rec.sku), "{} twice", rec.sku);
            prop_assert!(rec.score.is_finite());
        }
        let eligible = catalogue
            .items()
            .iter()
            .filter(|it| it.active)
            .filter(|it| it.repeatable || !history.bought.iter().any(|b| b.sku == it.sku && today - b.day < exclude as Day))
            .filter(|it| lines.iter().any(|l| l.sku == it.sku))
            .count();
        prop_assert_eq!(baseline.len(), eligible.min(3), "the baseline fills up to k when it can");
    }
}
