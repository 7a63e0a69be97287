//! Concurrency on every backend: planners, intakes and dispatchers never share a row.

use super::*;

const CONCURRENT_CASES: usize = 200;

async fn many_cases(store: &Arc<dyn Store>) -> BTreeSet<i64> {
    let commands: Vec<_> =
        (0..CONCURRENT_CASES).map(|i| overdue(&invoice(&format!("RE-{i:04}")), t0())).collect();
    assert!(intake(store, &commands).await.iter().all(|o| *o == IntakeOutcome::Created));
    let mut ids = BTreeSet::new();
    for i in 0..CONCURRENT_CASES {
        ids.insert(case(store, &format!("RE-{i:04}")).await.case_id);
    }
    ids
}

/// Plans in batches of 25 until nothing is due, deciding with a little work per case so that
/// the two planners' transactions overlap.
async fn planner(store: Arc<dyn Store>, seen: Arc<Mutex<Vec<i64>>>) -> usize {
    let now = t0() + hours(1);
    let decide = move |case: &DueCase| {
        seen.lock().unwrap().push(case.case_id);
        std::thread::sleep(Duration::from_millis(2));
        CaseDecision::Remind(new_reminder(case, ChannelKind::Email, now, now + hours(1000)))
    };
    let mut decided = 0;
    loop {
        match store.plan_due_cases(now, 25, &decide).await.expect("plan_due_cases") {
            0 => return decided,
            n => decided += n,
        }
    }
}

pub(super) async fn suite_concurrent_plan(store: Arc<dyn Store>, _raw: Raw) {
    let cases = many_cases(&store).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = tokio::join!(
        tokio::spawn(planner(Arc::clone(&store), Arc::clone(&seen))),
        tokio::spawn(planner(Arc::clone(&store), Arc::clone(&seen)))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("the planners decided {a} and {b} cases");
    let mut seen = seen.lock().unwrap().clone();
    let total = seen.len();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(total, seen.len(), "{} cases were decided twice", total - seen.len());
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), cases, "every due case is decided");
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.total, CONCURRENT_CASES as u64);
    assert_eq!(stats.cases.by_state["reminding"], CONCURRENT_CASES as u64);
}

/// Two intake workers apply the same 100 invoices (20 debtors) at once, in opposite orders, as a
/// redelivery while the first attempt is still running would: each invoice is created once, and
/// neither worker fails (e.g. with a deadlock).
pub(super) async fn suite_concurrent_intake(store: Arc<dyn Store>, _raw: Raw) {
    let commands: Vec<_> = (0..100)
        .map(|i| {
            overdue(&invoice_for(&format!("RE-{i:03}"), debtor(&format!("C-{}", i % 20)), eur("10.00")), t0())
        })
        .collect();
    let reversed: Vec<_> = commands.iter().rev().cloned().collect();
    let apply = |commands: Vec<IntakeCommand>| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.apply_intake(&commands).await })
    };
    let (a, b) = tokio::join!(apply(commands), apply(reversed));
    let (a, b) = (a.unwrap().expect("the first worker"), b.unwrap().expect("the second worker"));
    let created = a.iter().chain(&b).filter(|o| **o == IntakeOutcome::Created).count();
    let duplicates = a.iter().chain(&b).filter(|o| **o == IntakeOutcome::Duplicate).count();
    assert_eq!((created, duplicates), (100, 100));
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.total, 100);
}

async fn dispatcher(store: Arc<dyn Store>, now: DateTime<Utc>) -> Vec<i64> {
    let mut mine = Vec::new();
    loop {
        let claimed = store.claim_due_reminders(now, 25, Duration::from_secs(3600)).await.expect("claim");
        if claimed.is_empty() {
            return mine;
        }
        mine.extend(claimed.iter().map(|c| c.id));
        tokio::task::yield_now().await;
    }
}

pub(super) async fn suite_concurrent_claim(store: Arc<dyn Store>, _raw: Raw) {
    many_cases(&store).await;
    let now = t0() + hours(1);
    let decide =
        |case: &DueCase| CaseDecision::Remind(new_reminder(case, ChannelKind::Sms, now, now + hours(1000)));
    assert_eq!(store.plan_due_cases(now, 1000, &decide).await.unwrap(), CONCURRENT_CASES);

    let (a, b) = tokio::join!(
        tokio::spawn(dispatcher(Arc::clone(&store), now)),
        tokio::spawn(dispatcher(Arc::clone(&store), now))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("the dispatchers claimed {} and {} reminders", a.len(), b.len());
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(total, all.len(), "{} reminders were claimed twice", total - all.len());
    assert_eq!(all.len(), CONCURRENT_CASES, "every due reminder is claimed ({} and {})", a.len(), b.len());
    assert_eq!(store.stats().await.unwrap().reminders.by_status["scheduled"], CONCURRENT_CASES as u64);
}
