//! When in the day a debtor responds: a few typical daily rhythms, shifted and perturbed per person.

use rand::Rng;

use super::debtor::Segment;
use super::sample::pick;

/// Index = local hour. Values are relative; each profile is rescaled to a maximum of 1 after the
/// personal perturbation.
type Rhythm = [f64; 24];

/// Consumers who deal with post and messages after work.
const CONSUMER_EVENING: Rhythm = [
    0.03, 0.02, 0.01, 0.01, 0.01, 0.02, 0.08, 0.20, 0.25, 0.20, 0.18, 0.22, //
    0.45, 0.50, 0.30, 0.22, 0.25, 0.40, 0.70, 0.90, 1.00, 0.85, 0.50, 0.15,
];

/// Consumers who look at their phone in the lunch break.
const CONSUMER_LUNCH: Rhythm = [
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.15, 0.25, 0.30, 0.40, 0.70, //
    1.00, 0.90, 0.50, 0.30, 0.30, 0.40, 0.55, 0.60, 0.50, 0.35, 0.15, 0.05,
];

/// Early risers, shift workers and retirees: mornings.
const CONSUMER_MORNING: Rhythm = [
    0.02, 0.01, 0.01, 0.01, 0.05, 0.20, 0.55, 0.85, 1.00, 0.80, 0.60, 0.50, //
    0.55, 0.45, 0.35, 0.30, 0.30, 0.35, 0.45, 0.45, 0.35, 0.20, 0.08, 0.03,
];

/// An accounts-payable desk: mornings, a lunch dip, early afternoon.
const BUSINESS_OFFICE: Rhythm = [
    0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.03, 0.25, 0.70, 1.00, 0.95, 0.80, //
    0.50, 0.60, 0.85, 0.75, 0.55, 0.30, 0.10, 0.05, 0.03, 0.02, 0.01, 0.01,
];

/// A small-business owner who does the paperwork after the day's work.
const BUSINESS_OWNER: Rhythm = [
    0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.05, 0.15, 0.35, 0.45, 0.45, 0.40, //
    0.30, 0.35, 0.45, 0.45, 0.50, 0.60, 0.75, 0.90, 1.00, 0.60, 0.20, 0.05,
];

/// How far (in hours, either way) a person's rhythm may be shifted from its template.
const MAX_SHIFT: i32 = 2;
/// Each hour is multiplied by a factor in `1 ± JITTER`, so no two debtors have the same peak
/// structure and close hours can swap rank.
const JITTER: f64 = 0.25;

/// Draws one debtor's hour profile: a template, rotated by a few hours, jittered per hour, and
/// rescaled so the best hour is exactly 1.
pub(crate) fn draw_hour_profile<R: Rng + ?Sized>(rng: &mut R, segment: Segment) -> [f64; 24] {
    let template = match segment {
        Segment::Consumer => {
            pick(rng, &[(0.60, &CONSUMER_EVENING), (0.25, &CONSUMER_LUNCH), (0.15, &CONSUMER_MORNING)])
        }
        Segment::Business => pick(rng, &[(0.80, &BUSINESS_OFFICE), (0.20, &BUSINESS_OWNER)]),
    };
    let shift = rng.gen_range(-MAX_SHIFT..=MAX_SHIFT);
    let mut profile = [0.0; 24];
    for (hour, value) in profile.iter_mut().enumerate() {
        let source = (hour as i32 - shift).rem_euclid(24) as usize;
        *value = template[source] * rng.gen_range(1.0 - JITTER..=1.0 + JITTER);
    }
    let peak = profile.iter().copied().fold(0.0, f64::max);
    for value in &mut profile {
        *value /= peak;
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng;

    #[test]
    fn profiles_lie_in_the_unit_interval_with_a_peak_of_one() {
        let mut r = rng(5);
        for segment in Segment::ALL {
            for _ in 0..200 {
                let profile = draw_hour_profile(&mut r, segment);
                assert!(profile.iter().all(|v| (0.0..=1.0).contains(v)));
                assert_eq!(profile.iter().copied().fold(0.0, f64::max), 1.0);
            }
        }
    }

    #[test]
    fn nights_are_quiet_for_everyone() {
        let mut r = rng(6);
        for segment in Segment::ALL {
            for _ in 0..200 {
                let profile = draw_hour_profile(&mut r, segment);
                // Night owls may still answer at midnight; 2 am is quiet for every rhythm and shift.
                assert!(profile[2] < 0.1, "{segment:?} {profile:?}");
            }
        }
    }
}
