//! Hit rate and NDCG at k of a ranked list against the set of items the debtor went on to buy.

use std::collections::BTreeSet;

/// Running means of hit@k and NDCG@k over debtors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scores {
    hits: f64,
    ndcg: f64,
    debtors: usize,
}

impl Scores {
    /// Adds one debtor: `ranked` (best first, at most k) against `relevant` (not empty).
    pub fn add(&mut self, ranked: &[u32], relevant: &BTreeSet<u32>, k: usize) {
        let gains: Vec<bool> = ranked.iter().take(k).map(|i| relevant.contains(i)).collect();
        self.hits += f64::from(u8::from(gains.iter().any(|&g| g)));
        let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
        let dcg: f64 = gains.iter().enumerate().filter(|(_, &g)| g).map(|(r, _)| discount(r)).sum();
        let ideal: f64 = (0..relevant.len().min(k)).map(discount).sum();
        self.ndcg += dcg / ideal;
        self.debtors += 1;
    }

    pub fn hit_rate(&self) -> f64 {
        self.hits / self.debtors.max(1) as f64
    }

    pub fn debtors(&self) -> usize {
        self.debtors
    }

    pub fn ndcg(&self) -> f64 {
        self.ndcg / self.debtors.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_at_the_top_scores_one_and_a_miss_zero() {
        let relevant: BTreeSet<u32> = [7].into();
        let mut top = Scores::default();
        top.add(&[7, 1, 2], &relevant, 3);
        assert_eq!((top.hit_rate(), top.ndcg()), (1.0, 1.0));
        let mut miss = Scores::default();
        miss.add(&[1, 2, 3], &relevant, 3);
        assert_eq!((miss.hit_rate(), miss.ndcg()), (0.0, 0.0));
    }

    #[test]
    fn lower_ranks_and_more_relevant_items_score_less() {
        let mut third = Scores::default();
        third.add(&[1, 2, 7], &[7].into(), 3);
        assert!((third.ndcg() - 0.5).abs() < 1e-12, "1/log2(4)");
        let mut one_of_two = Scores::default();
        one_of_two.add(&[7, 1, 2], &[7, 8].into(), 3);
        let expected = 1.0 / (1.0 + 1.0 / 3f64.log2());
        assert!((one_of_two.ndcg() - expected).abs() < 1e-12);
        let mut both = Scores::default();
        both.add(&[1, 2], &[1].into(), 3);
        both.add(&[1, 2], &[2].into(), 3);
        assert_eq!(both.hit_rate(), 1.0);
    }
}
