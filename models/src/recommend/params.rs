//! The recommender's hyper-parameters, checked once (`RecommenderParams` ->
//! `ValidRecommenderParams`, as in linfa).

use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

use super::RecommendError;

/// Hyper-parameters as the caller sets them; [`ParamGuard::check`] turns them into
/// [`ValidRecommenderParams`], the only form the recommender accepts. Every setter states its
/// default and range. The defaults were chosen on the simulator's `balanced` catalogue world at
/// seed 100 with 300,000 lines (`mahnwerk-train bench-recommend --world balanced --seeds 100
/// --lines 300000`), by NDCG@3, preferring among settings within 0.005 of the best the one that
/// found more items the debtor had never bought; they are reported on every world at seeds 1 to
/// 3 (docs/recommendations.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RecommenderParams(ValidRecommenderParams);

/// Checked hyper-parameters. See [`RecommenderParams`] for what each one means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidRecommenderParams {
    pub(crate) top_k: usize,
    pub(crate) exclude_recent_days: u32,
    pub(crate) similarity_half_life_days: f64,
    pub(crate) popularity_half_life_days: f64,
    pub(crate) recency_half_life_days: f64,
    pub(crate) neighbours: usize,
    pub(crate) asymmetry: f64,
    pub(crate) max_items_per_debtor: usize,
    pub(crate) history_items: usize,
    pub(crate) popularity_weight: f64,
    pub(crate) repeat_weight: f64,
    pub(crate) max_bought_before: usize,
}

impl Default for ValidRecommenderParams {
    fn default() -> Self {
        ValidRecommenderParams {
            top_k: 3,
            exclude_recent_days: 90,
            similarity_half_life_days: 365.0,
            popularity_half_life_days: 60.0,
            recency_half_life_days: 30.0,
            neighbours: 50,
            asymmetry: 0.5,
            max_items_per_debtor: 200,
            history_items: 20,
            popularity_weight: 0.05,
            repeat_weight: 4.0,
            max_bought_before: 3,
        }
    }
}

impl ValidRecommenderParams {
    pub fn top_k(&self) -> usize {
        self.top_k
    }

    pub fn exclude_recent_days(&self) -> u32 {
        self.exclude_recent_days
    }
}

impl RecommenderParams {
    /// The defaults listed on each setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many items a request returns (fewer when fewer are eligible).
    ///
    /// Default `3`. Range `1..=100`.
    pub fn top_k(mut self, k: usize) -> Self {
        self.0.top_k = k;
        self
    }

    /// A debtor is not offered what they bought in the last this many days (counting the day of
    /// the request), unless the catalogue marks the item repeatable.
    ///
    /// Default `90`. Range `0..=3650`; `0` excludes nothing.
    pub fn exclude_recent_days(mut self, days: u32) -> Self {
        self.0.exclude_recent_days = days;
        self
    }

    /// Half-life of a purchase in the co-purchase counts: a basket this old counts half.
    ///
    /// Default `365` days. Range `(0, 36500]`.
    pub fn similarity_half_life_days(mut self, days: f64) -> Self {
        self.0.similarity_half_life_days = days;
        self
    }

    /// Half-life of a purchase in the segment popularity: short, so seasonal items rise and
    /// retired fashions fade.
    ///
    /// Default `60` days. Range `(0, 36500]`.
    pub fn popularity_half_life_days(mut self, days: f64) -> Self {
        self.0.popularity_half_life_days = days;
        self
    }

    /// Half-life of the debtor's own purchases at request time: how fast an old purchase stops
    /// steering what the debtor is offered.
    ///
    /// Default `30` days: on the tuning world a shorter half-life found more of the items a
    /// debtor had never bought (14 days: hit rate@3 on them 0.073, 30: 0.062, 90: 0.046) and a
    /// longer one slightly more repeats (45 days: NDCG@3 0.479, 30: 0.477). Range `(0, 36500]`.
    pub fn recency_half_life_days(mut self, days: f64) -> Self {
        self.0.recency_half_life_days = days;
        self
    }

    /// How many most similar SKUs each SKU keeps (top-M). Bounds the model at
    /// `items x neighbours x 8` bytes.
    ///
    /// Default `50`. Range `1..=10000`.
    pub fn neighbours(mut self, m: usize) -> Self {
        self.0.neighbours = m;
        self
    }

    /// How the similarity of `j` to `i` treats popular `j`: `dot(i, j) / (|i|^(2a) |j|^(2(1-a)))`
    /// over the debtors' weight columns. `0.5` is the cosine; `1` is the share of `i`'s
    /// buyers who also bought `j` ("often bought with"), which favours popular `j`; `0` favours
    /// rare `j`.
    ///
    /// Default `0.5`: on the tuning world the items a debtor had never bought were found most
    /// often at the cosine (hit rate@3 on them with `repeat_weight` 0: 0.126 at `0.5`, 0.100 at
    /// `0.7`, 0.080 at `0.9`, 0.078 at `1`; NDCG@3 overall with the default `repeat_weight`:
    /// 0.477, 0.473, 0.454, 0.429). Range `[0, 1]`.
    pub fn asymmetry(mut self, a: f64) -> Self {
        self.0.asymmetry = a;
        self
    }

    /// At most this many of a debtor's SKUs (the heaviest) enter the co-purchase counts. A
    /// debtor with `m` SKUs costs `m^2` in the fit, so this bounds the fit's time against a
    /// wholesaler who buys everything.
    ///
    /// Default `200`. Range `2..=100000`.
    pub fn max_items_per_debtor(mut self, m: usize) -> Self {
        self.0.max_items_per_debtor = m;
        self
    }

    /// At a request, at most this many of the debtor's SKUs (the most recent) steer the scores.
    ///
    /// Default `20`. Range `1..=10000`.
    pub fn history_items(mut self, n: usize) -> Self {
        self.0.history_items = n;
        self
    }

    /// Weight of segment popularity (the segment's most popular SKU scores 1) against the
    /// co-purchase score (a recency-weighted mean cosine similarity, at most 1).
    ///
    /// Default `0.05`. On the tuning world (with `repeat_weight` 1 and a recency half-life of 90
    /// days) NDCG@3 was 0.367 at `0`, 0.379 at `0.05`, 0.348 at `0.2` and 0.262 at `0.8`.
    /// Range `[0, 100]`; `0` uses popularity only to fill up to `top_k`.
    pub fn popularity_weight(mut self, weight: f64) -> Self {
        self.0.popularity_weight = weight;
        self
    }

    /// Weight of "buy again" for a repeatable SKU in the debtor's own history, against the
    /// co-purchase score.
    ///
    /// Default `4.0`: the next purchase is most often a consumable bought again. On the tuning
    /// world, with `popularity_weight` 0.2 and a recency half-life of 90 days, NDCG@3 was 0.160
    /// at `0` (segment popularity: 0.164), 0.348 at `1`, 0.433 at `2` and 0.466 at `4`; with the
    /// other defaults as they are now, 0.090 at `0`, 0.477 at `4` and 0.481 at `8`, while the
    /// items a debtor had never bought were hit less often the higher it is (hit rate@3 on them
    /// 0.126 at `0`, 0.062 at `4`, 0.059 at `8`). Range `[0, 100]`; `0` never offers a debtor's
    /// own items again on that ground.
    pub fn repeat_weight(mut self, weight: f64) -> Self {
        self.0.repeat_weight = weight;
        self
    }
}

/// Checked parameters back to the settable form, to be checked again (a snapshot's).
impl From<ValidRecommenderParams> for RecommenderParams {
    fn from(params: ValidRecommenderParams) -> Self {
        RecommenderParams(params)
    }
}

impl RecommenderParams {
    /// At most this many of the `top_k` items are the debtor's own repeatable items (bought
    /// before); the other places go to items they have not bought.
    ///
    /// Default `3` (no cap at the default `top_k`). On the tuning world a cap trades repeats
    /// for discoveries: NDCG@3 overall 0.477 at `3`, 0.424 at `2`, 0.314 at `1`; hit rate@3 on
    /// the items the debtor had never bought 0.062, 0.085, 0.107 (segment popularity: 0.081).
    /// Lower it where showing something new matters more than the likeliest next purchase.
    /// Range `0..=100`.
    pub fn max_bought_before(mut self, n: usize) -> Self {
        self.0.max_bought_before = n;
        self
    }
}

fn half_life(name: &'static str, days: f64) -> Result<(), RecommendError> {
    // Written so that NaN fails too.
    if days > 0.0 && days <= 36_500.0 {
        Ok(())
    } else {
        Err(RecommendError::param(name, format!("must be in (0, 36500] days, got {days}")))
    }
}

fn weight(name: &'static str, w: f64) -> Result<(), RecommendError> {
    if (0.0..=100.0).contains(&w) {
        Ok(())
    } else {
        Err(RecommendError::param(name, format!("must be in [0, 100], got {w}")))
    }
}

fn count(name: &'static str, n: usize, range: std::ops::RangeInclusive<usize>) -> Result<(), RecommendError> {
    if range.contains(&n) {
        Ok(())
    } else {
        Err(RecommendError::param(name, format!("must be in {}..={}, got {n}", range.start(), range.end())))
    }
}

impl ParamGuard for RecommenderParams {
    type Checked = ValidRecommenderParams;
    type Error = RecommendError;

    fn check_ref(&self) -> Result<&ValidRecommenderParams, RecommendError> {
        let p = &self.0;
        count("top_k", p.top_k, 1..=100)?;
        if p.exclude_recent_days > 3650 {
            return Err(RecommendError::param(
                "exclude_recent_days",
                format!("must be in 0..=3650, got {}", p.exclude_recent_days),
            ));
        }
        half_life("similarity_half_life_days", p.similarity_half_life_days)?;
        half_life("popularity_half_life_days", p.popularity_half_life_days)?;
        half_life("recency_half_life_days", p.recency_half_life_days)?;
        count("neighbours", p.neighbours, 1..=10_000)?;
        if !(0.0..=1.0).contains(&p.asymmetry) {
            return Err(RecommendError::param(
                "asymmetry",
                format!("must be in [0, 1], got {}", p.asymmetry),
            ));
        }
        count("max_items_per_debtor", p.max_items_per_debtor, 2..=100_000)?;
        count("history_items", p.history_items, 1..=10_000)?;
        weight("popularity_weight", p.popularity_weight)?;
        weight("repeat_weight", p.repeat_weight)?;
        count("max_bought_before", p.max_bought_before, 0..=100)?;
        Ok(p)
    }

    fn check(self) -> Result<ValidRecommenderParams, RecommendError> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_each_bad_value_is_named() {
        assert_eq!(RecommenderParams::new().check(), Ok(ValidRecommenderParams::default()));
        let name = |p: RecommenderParams| match p.check() {
            Err(RecommendError::InvalidParam { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(name(RecommenderParams::new().top_k(0)), "top_k");
        assert_eq!(name(RecommenderParams::new().exclude_recent_days(4000)), "exclude_recent_days");
        assert_eq!(
            name(RecommenderParams::new().similarity_half_life_days(f64::NAN)),
            "similarity_half_life_days"
        );
        assert_eq!(
            name(RecommenderParams::new().popularity_half_life_days(0.0)),
            "popularity_half_life_days"
        );
        assert_eq!(name(RecommenderParams::new().recency_half_life_days(-1.0)), "recency_half_life_days");
        assert_eq!(name(RecommenderParams::new().neighbours(0)), "neighbours");
        assert_eq!(name(RecommenderParams::new().asymmetry(1.5)), "asymmetry");
        assert_eq!(name(RecommenderParams::new().max_items_per_debtor(1)), "max_items_per_debtor");
        assert_eq!(name(RecommenderParams::new().history_items(0)), "history_items");
        assert_eq!(name(RecommenderParams::new().popularity_weight(-0.1)), "popularity_weight");
        assert_eq!(name(RecommenderParams::new().repeat_weight(f64::INFINITY)), "repeat_weight");
    }
}
