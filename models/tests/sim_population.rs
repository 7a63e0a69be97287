//! The simulated population and its invoices: reproducible from a seed, validated, plausible.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{population, share, small};
use mahnwerk_models::sim::{PayerType, Population, Segment, SimChannel, SimConfig};

#[test]
fn the_same_seed_gives_the_same_population_and_invoices() {
    let a = population(7);
    let b = population(7);
    assert_eq!(a, b);
    assert_eq!(a.invoices(3), b.invoices(3));
    assert_eq!(a.clone(), a);
}

#[test]
fn a_different_seed_gives_a_different_population_and_invoices() {
    let a = population(7);
    let b = population(8);
    assert_ne!(a.debtors(), b.debtors());
    let differing = a.debtors().iter().zip(b.debtors()).filter(|(x, y)| x != y).count();
    assert!(differing > 990, "only {differing} debtors differ");
    assert_ne!(a.invoices(1), a.invoices(2));
}

#[test]
fn growing_the_population_keeps_the_existing_debtors() {
    let fifty = small(9, 50);
    let hundred = small(9, 100);
    assert_eq!(fifty.debtors(), &hundred.debtors()[..50]);
}

#[test]
fn an_invalid_config_is_refused_naming_the_field() {
    let config = SimConfig { business_share: 2.0, ..SimConfig::default() };
    let err = Population::generate(1, &config).unwrap_err();
    assert_eq!(err.field(), "business_share");
    assert!(err.to_string().contains("business_share"), "{err}");

    let config = SimConfig { invoices_per_debtor: (4, 2), ..SimConfig::default() };
    assert_eq!(Population::generate(1, &config).unwrap_err().field(), "invoices_per_debtor");
}

#[test]
fn debtors_are_plausible_people_and_firms() {
    let pop = population(11);
    let debtors = pop.debtors();
    let zones = BTreeMap::from([
        ("Europe/Berlin", "DE"),
        ("Europe/Vienna", "AT"),
        ("Europe/Zurich", "CH"),
        ("Europe/Paris", "FR"),
        ("Europe/London", "GB"),
    ]);
    for (i, d) in debtors.iter().enumerate() {
        assert_eq!(d.id, format!("SIM-{:06}", i + 1));
        assert_eq!(zones.get(d.timezone.as_str()), Some(&d.country.as_str()), "{d:?}");
        assert!(["de", "en", "fr"].contains(&d.language.as_str()));
        assert_eq!(d.age_group.is_some(), d.segment == Segment::Consumer);
        assert!(d.hour_profile.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(d.hour_profile[usize::from(d.peak_hour())], 1.0);
        for channel in SimChannel::ALL {
            let a = d.attention.get(channel);
            assert!((0.0..=1.0).contains(&a));
            if !d.contact.has_channel(channel) {
                assert_eq!(a, 0.0, "{} has no {channel} but attention {a}", d.id);
            }
        }
        assert!(d.contact.has_channel(SimChannel::Letter));
        assert_eq!(d.email_address().is_some(), d.contact.has_email);
        assert_eq!(d.phone_e164().is_some(), d.contact.has_phone);
        if let Some(phone) = d.phone_e164() {
            assert!(phone.starts_with('+') && phone.len() <= 16, "{phone}");
        }
    }
    let business = share(debtors, |d| d.segment == Segment::Business);
    assert!((0.25..0.35).contains(&business), "{business}");
    let berlin = share(debtors, |d| d.timezone == "Europe/Berlin");
    assert!(berlin > 0.6, "{berlin}");
    for payer in PayerType::ALL {
        assert!(debtors.iter().any(|d| d.payer == payer), "no {payer:?}");
    }
    // Some contacts are held but dead: the pipeline sees the address, nobody reads it.
    let dead_email = share(debtors, |d| d.contact.has_email && d.attention.email == 0.0);
    assert!((0.05..0.2).contains(&dead_email), "{dead_email}");
}

#[test]
fn invoices_are_spread_recurring_and_add_up() {
    let pop = population(12);
    let invoices = pop.invoices(12);
    let horizon = pop.config().horizon_days;
    let mut per_debtor = vec![0u32; pop.debtors().len()];
    let mut numbers = BTreeSet::new();
    for inv in &invoices {
        let debtor = &pop.debtors()[inv.debtor_index];
        per_debtor[inv.debtor_index] += 1;
        assert!(numbers.insert(inv.invoice_number.clone()), "duplicate {}", inv.invoice_number);
        assert_eq!(inv.currency, "EUR");
        assert!(inv.issued_day < horizon && inv.due_day > inv.issued_day);
        let euros = inv.amount_cents as f64 / 100.0;
        let range = match debtor.segment {
            Segment::Consumer => 20.0..=500.0,
            Segment::Business => 200.0..=20_000.0,
        };
        assert!(range.contains(&euros), "{euros} EUR for a {:?}", debtor.segment);
        assert!(!inv.lines.is_empty());
        let sum: i64 = inv
            .lines
            .iter()
            .map(|l| {
                assert!(l.quantity >= 1 && l.unit_price_cents > 0, "{l:?}");
                i64::from(l.quantity) * l.unit_price_cents
            })
            .sum();
        assert_eq!(sum, inv.amount_cents, "{inv:?}");
        let skus: BTreeSet<_> = inv.lines.iter().map(|l| &l.sku).collect();
        assert_eq!(skus.len(), inv.lines.len(), "repeated SKU in {inv:?}");
    }
    for (count, debtor) in per_debtor.iter().zip(pop.debtors()) {
        assert_eq!(*count, debtor.invoice_count);
    }
    assert!(per_debtor.iter().filter(|&&c| c >= 3).count() > 300);
    assert!(invoices.windows(2).all(|w| w[0].issued_day <= w[1].issued_day));
    let early = share(&invoices, |i| i.issued_day < horizon / 4);
    let late = share(&invoices, |i| i.issued_day >= 3 * horizon / 4);
    assert!(early > 0.15 && late > 0.1, "early {early}, late {late}");
}

#[test]
fn population_is_clone_and_serialize() {
    fn assert_traits<T: Clone + serde::Serialize>() {}
    assert_traits::<Population>();
}
