//! A default arm the caller trusts before data: every other arm starts `lead` logits behind it,
//! and the lead fades as the other arm's own evidence grows.
//!
//! A dunning plan comes with a default (the fixed schedule's choice: the stage's first channel
//! at 10:00) that a creditor has run for years. A learner starting from a flat prior spreads its
//! first months over every allowed (channel, hour) arm, ~50 of them, and pays for that in
//! payments before it has learned anything. With a [`Request::default_arm`](super::Request::default_arm)
//! the exact-pair weight of every other arm is read as if its prior mean were `-lead` instead of
//! 0: in the Gaussian posterior a prior mean `m0` with prior precision `q0` contributes
//! `m0 * q0 / q` to the mean, `q` being the posterior precision, so the arm's score mean is
//! lowered by
//!
//! `lead * var(pair weight) / prior_variance`
//!
//! which is `lead` for an arm never tried and shrinks like `1 / (1 + n p (1 - p))` with the arm's
//! `n` outcomes (0.1 of the lead after about 50 outcomes at a 20 % payment rate). The posterior
//! variance is left as it is, so an arm that data shows to be better than the default overtakes
//! it, and arms the policy never needs keep their handicap. (Approximate: the updates themselves
//! were made around a prior mean of 0, so this is the prior's pull on the mean, not a refit.)

use super::BanditError;

/// How far arm `index`'s mean score moves down: `lead` times the share of the prior variance
/// its pair weight still has (`pair_variance / prior_variance`, at most 1).
pub(crate) fn handicap(lead: f64, pair_variance: f64, prior_variance: f64) -> f64 {
    lead * (pair_variance / prior_variance).clamp(0.0, 1.0)
}

/// Checks a request's default arm against its number of arms.
pub(crate) fn validate(default: Option<usize>, lead: f64, arms: usize) -> Result<(), BanditError> {
    let Some(index) = default else { return Ok(()) };
    if index >= arms {
        return Err(BanditError::request(
            "default_arm",
            format!("must be below {arms} (the arms), got {index}"),
        ));
    }
    if !(lead.is_finite() && (0.0..=10.0).contains(&lead)) {
        return Err(BanditError::request("default_lead", format!("must be in [0, 10], got {lead}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handicap_is_the_lead_before_data_and_fades_with_precision() {
        assert_eq!(handicap(1.0, 1.0, 1.0), 1.0);
        // Fifty outcomes at p = 0.2 add 8 to the precision: a ninth of the lead is left.
        assert!((handicap(1.0, 1.0 / 9.0, 1.0) - 1.0 / 9.0).abs() < 1e-12);
        assert_eq!(handicap(2.0, 5.0, 1.0), 2.0, "never more than the lead");
    }

    #[test]
    fn a_fresh_bandit_sends_the_default_until_data_shows_a_better_arm() {
        use crate::bandit::{Bandit, BanditParams, Context, LoggedDecision, Request};
        use linfa::ParamGuard;
        let context = Context::new().cat("segment", "b2c").num("stage", 1.0);
        let (channels, hours) = (["email", "sms"], [9, 10, 18]);
        let default = 1; // email at 10
        let picks = |bandit: &mut Bandit, lead: Option<f64>| {
            let mut request = Request::new(&context, &channels, &hours);
            if let Some(lead) = lead {
                request = request.default_arm(default, lead);
            }
            (0..300)
                .filter(|_| {
                    let d = bandit.choose(&request).unwrap();
                    d.channel_index * hours.len() + hours.iter().position(|&h| h == d.hour).unwrap()
                        == default
                })
                .count()
        };
        let mut bandit = Bandit::new(BanditParams::new().check().unwrap(), 11);
        let (flat, led) = (picks(&mut bandit, None), picks(&mut bandit, Some(2.0)));
        assert!(flat < 120, "with no lead the six arms share the decisions: {flat} of 300");
        assert!(led > 240, "with a lead of 2 logits the default takes most: {led} of 300");
        // SMS at 18:00 pays 3 in 5, the default 1 in 10.
        for i in 0..150 {
            let logged = |channel: &str, hour: u8, paid: bool| LoggedDecision {
                debtor: None,
                context: context.clone(),
                channel: channel.to_owned(),
                hour,
                reward: Some(if paid { 1.0 } else { 0.0 }),
            };
            bandit.observe(&logged("sms", 18, i % 5 < 3)).unwrap();
            bandit.observe(&logged("email", 10, i % 10 == 0)).unwrap();
        }
        let after = picks(&mut bandit, Some(2.0));
        assert!(after < 30, "the evidence overrides the lead: the default still took {after} of 300");
    }

    #[test]
    fn a_default_outside_the_arms_or_a_wild_lead_is_named() {
        assert!(validate(None, f64::NAN, 4).is_ok());
        assert!(validate(Some(3), 1.0, 4).is_ok());
        let field = |r: Result<(), BanditError>| match r {
            Err(BanditError::InvalidRequest { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(validate(Some(4), 1.0, 4)), "default_arm");
        assert_eq!(field(validate(Some(0), -1.0, 4)), "default_lead");
        assert_eq!(field(validate(Some(0), f64::INFINITY, 4)), "default_lead");
    }
}
