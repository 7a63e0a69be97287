//! Which features score an arm: the context encoded once per decision, then crossed with the
//! arm's parts in five independent blocks.
//!
//! # Encoding a context
//! - a category `key = "value"` is one indicator feature (value 1);
//! - a number `key = x` is two features: an indicator of its magnitude bin
//!   `round(4 * log2(1 + |x|))` with the sign of `x` (quarter-octave bins: 1, 2, 3 and 4 are
//!   distinct, 123.4 and 124 share a bin), which lets every crossed weight learn a non-linear
//!   shape, and a continuous `sign(x) * log2(1 + |x|) / 8`, which lets neighbouring bins share
//!   evidence (amounts from 1 to 10^6 map into about [0, 2.5]);
//! - a non-finite number is an indicator "`key` is not a number".
//!
//! The context vector is then scaled to unit length when it is longer. Each context weight has
//! the same prior variance, so without this the prior variance of a block's context part, and
//! with it the width of every sampled score, would grow with the number of keys the caller
//! sends: 50 keys made scores sway by ten logits before any data. Scaled, the whole context
//! part of a block has prior variance at most `prior_variance`, as the block's own bias has.
//!
//! # Blocks
//! The population part of the score (log-odds of payment) of arm `(c, h)` is the sum of five
//! blocks, each a dot product of its own weights with its own features:
//!
//! | block | one per | features |
//! | --- | --- | --- |
//! | shared | decision | bias, every context feature `f` |
//! | channel | channel `c` | `c`, `c x f` |
//! | bucket | hour bucket `b = h / width` | `b`, `b x f` |
//! | hour | hour `h` | `h` |
//! | arm | pair `(c, h)` | `c x h` |
//!
//! `c x segment`, `c x stage`, `b x segment`, ... are all `c x f` and `b x f` for whatever keys
//! the caller sends. No weight belongs to two blocks of different channels, buckets or hours (up
//! to hash collisions), which is what makes the block sums independent under the diagonal
//! posterior (see [`thompson`](super::thompson)). The debtor's own effects are not hashed
//! features: they live in the [`debtors`](super::debtors) book, with a full covariance.

use super::context::{Context, FeatureValue};
use super::hashing::{cross, finalize, fnv1a, namespace};

// Feature hashes are finalized (or crossed, which finalizes) so that their top bits pick a slot.
const BIAS: u64 = finalize(namespace("bias"));
const CAT: u64 = namespace("cat");
const BIN: u64 = namespace("bin");
const NUM: u64 = namespace("num");
const NAN: u64 = namespace("nan");
const DEBTOR: u64 = namespace("debtor");
const CHANNEL: u64 = namespace("channel");
const BUCKET: u64 = namespace("bucket");
const HOUR: u64 = namespace("hour");

/// A context as hashed features, plus the debtor's hash (the key of its entry in the debtor
/// book); built once per decision and kept with a pending decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Encoded {
    pub(crate) ctx: Vec<(u64, f32)>,
    pub(crate) debtor: Option<u64>,
}

impl Encoded {
    /// Re-encodes in place, reusing the buffer.
    pub(crate) fn encode(&mut self, context: &Context, debtor: Option<&str>) {
        self.ctx.clear();
        for (key, value) in context.iter() {
            match value {
                FeatureValue::Cat(v) => {
                    let k = fnv1a(fnv1a(CAT, key.as_bytes()), &[0xff]);
                    self.ctx.push((finalize(fnv1a(k, v.as_bytes())), 1.0));
                }
                FeatureValue::Num(x) if x.is_finite() => {
                    let magnitude = x.abs().ln_1p() / std::f64::consts::LN_2;
                    let bin = (4.0 * magnitude).round() as i64 * if *x < 0.0 { -1 } else { 1 };
                    self.ctx.push((cross(fnv1a(BIN, key.as_bytes()), bin as u64), 1.0));
                    let value = (x.signum() * magnitude / 8.0) as f32;
                    self.ctx.push((finalize(fnv1a(NUM, key.as_bytes())), value));
                }
                FeatureValue::Num(_) => self.ctx.push((finalize(fnv1a(NAN, key.as_bytes())), 1.0)),
            }
        }
        let norm2: f64 = self.ctx.iter().map(|&(_, v)| f64::from(v) * f64::from(v)).sum();
        if norm2 > 1.0 {
            let scale = (1.0 / norm2).sqrt() as f32;
            for (_, v) in &mut self.ctx {
                *v *= scale;
            }
        }
        self.debtor = debtor.map(|d| finalize(fnv1a(DEBTOR, d.as_bytes())));
    }
}

pub(crate) fn channel_hash(name: &str) -> u64 {
    finalize(fnv1a(CHANNEL, name.as_bytes()))
}

pub(crate) fn bucket_of(hour: u8, width: u8) -> u8 {
    hour / width
}

fn bucket_hash(bucket: u8) -> u64 {
    cross(BUCKET, u64::from(bucket))
}

fn hour_hash(hour: u8) -> u64 {
    cross(HOUR, u64::from(hour))
}

/// The shared block's features.
#[inline]
pub(crate) fn shared(enc: &Encoded, mut f: impl FnMut(u64, f32)) {
    f(BIAS, 1.0);
    for &(h, v) in &enc.ctx {
        f(h, v);
    }
}

/// The features of a block keyed by `key` (a channel's or a bucket's hash).
#[inline]
fn keyed(enc: &Encoded, key: u64, mut f: impl FnMut(u64, f32)) {
    f(key, 1.0);
    for &(h, v) in &enc.ctx {
        f(cross(key, h), v);
    }
}

/// The channel block of the channel with hash `channel` (see [`channel_hash`]).
#[inline]
pub(crate) fn channel(enc: &Encoded, channel: u64, f: impl FnMut(u64, f32)) {
    keyed(enc, channel, f);
}

/// The bucket block of hour bucket `bucket`.
#[inline]
pub(crate) fn bucket(enc: &Encoded, bucket: u8, f: impl FnMut(u64, f32)) {
    keyed(enc, bucket_hash(bucket), f);
}

/// The hour block: the hour's own weight.
#[inline]
pub(crate) fn hour(hour: u8, mut f: impl FnMut(u64, f32)) {
    f(hour_hash(hour), 1.0);
}

/// The arm block: the weight of the exact (channel, hour) pair.
#[inline]
pub(crate) fn arm(channel: u64, hour: u8, mut f: impl FnMut(u64, f32)) {
    f(cross(channel, hour_hash(hour)), 1.0);
}

/// Every population feature of one arm: the five blocks together, as an update sees them.
pub(crate) fn chosen(enc: &Encoded, ch: u64, h: u8, width: u8, mut f: impl FnMut(u64, f32)) {
    shared(enc, &mut f);
    channel(enc, ch, &mut f);
    bucket(enc, bucket_of(h, width), &mut f);
    hour(h, &mut f);
    arm(ch, h, &mut f);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(context: &Context) -> Encoded {
        let mut enc = Encoded::default();
        enc.encode(context, Some("C-1"));
        enc
    }

    #[test]
    fn small_integers_get_their_own_bins_and_close_amounts_share_one() {
        let bin = |x: f64| encode(&Context::new().num("k", x)).ctx[0].0;
        let stages: Vec<u64> = (1..=6).map(|s| bin(s as f64)).collect();
        for (i, a) in stages.iter().enumerate() {
            assert!(stages[i + 1..].iter().all(|b| a != b), "stage {} shares a bin", i + 1);
        }
        assert_eq!(bin(123.4), bin(124.0));
        assert_ne!(bin(3.0), bin(-3.0));
    }

    #[test]
    fn keys_and_values_do_not_run_together() {
        let a = encode(&Context::new().cat("ab", "c"));
        let b = encode(&Context::new().cat("a", "bc"));
        assert_ne!(a.ctx, b.ctx);
    }

    #[test]
    fn non_finite_numbers_are_an_indicator() {
        let enc = encode(&Context::new().num("amount", f64::NAN));
        assert_eq!(enc.ctx.len(), 1);
        assert_eq!(enc.ctx[0].1, 1.0);
    }

    #[test]
    fn an_arm_has_every_block() {
        let enc = encode(&Context::new().cat("segment", "b2c").num("stage", 2.0));
        let mut n = 0;
        chosen(&enc, channel_hash("sms"), 18, 3, |_, _| n += 1);
        // shared 1 + 3, channel 1 + 3, bucket 1 + 3, hour 1, arm 1
        assert_eq!(n, 14);
    }
}
