//! Item-to-item similarity from the debtors' baskets: the (asymmetric) cosine of two SKUs'
//! columns of the debtor x SKU weight matrix, each SKU keeping its most similar others.

use super::co_purchases::Basket;
use super::ValidRecommenderParams;

/// For every SKU id below `items`, its at most `params.neighbours` most similar other SKUs as
/// `(sku id, similarity)` (see [`asymmetry`](super::RecommenderParams::asymmetry)), most similar first (ties by SKU id, so the result is deterministic).
pub(crate) fn neighbours(
    baskets: &[Basket],
    items: usize,
    params: &ValidRecommenderParams,
) -> Vec<Vec<(u32, f32)>> {
    let rows = capped_rows(baskets, params.max_items_per_debtor);
    let mut norms = vec![0.0f64; items];
    let mut per_item = vec![0usize; items + 1];
    for row in &rows {
        for &(sku, w) in row {
            norms[sku as usize] += f64::from(w) * f64::from(w);
            per_item[sku as usize + 1] += 1;
        }
    }
    // The transposed matrix (SKU -> debtors), as compressed columns.
    for i in 0..items {
        per_item[i + 1] += per_item[i];
    }
    let mut fill = per_item.clone();
    let mut columns = vec![(0u32, 0.0f32); per_item[items]];
    for (debtor, row) in rows.iter().enumerate() {
        for &(sku, w) in row {
            columns[fill[sku as usize]] = (debtor as u32, w);
            fill[sku as usize] += 1;
        }
    }

    let a = params.asymmetry;
    let mut dot = vec![0.0f64; items];
    let mut touched: Vec<u32> = Vec::new();
    (0..items)
        .map(|i| {
            for &(debtor, wi) in &columns[per_item[i]..per_item[i + 1]] {
                for &(j, wj) in &rows[debtor as usize] {
                    if dot[j as usize] == 0.0 {
                        touched.push(j);
                    }
                    dot[j as usize] += f64::from(wi) * f64::from(wj);
                }
            }
            let mut near: Vec<(u32, f32)> = touched
                .iter()
                .filter(|&&j| j as usize != i)
                .map(|&j| {
                    (j, (dot[j as usize] / (norms[i].powf(a) * norms[j as usize].powf(1.0 - a))) as f32)
                })
                .filter(|&(_, sim)| sim > 0.0)
                .collect();
            for &j in &touched {
                dot[j as usize] = 0.0;
            }
            touched.clear();
            let by_similarity = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            if near.len() > params.neighbours {
                near.select_nth_unstable_by(params.neighbours - 1, by_similarity);
                near.truncate(params.neighbours);
            }
            near.sort_unstable_by(by_similarity);
            near
        })
        .collect()
}

/// Each debtor's SKUs, the heaviest `cap` of them where there are more.
fn capped_rows(baskets: &[Basket], cap: usize) -> Vec<Vec<(u32, f32)>> {
    baskets
        .iter()
        .map(|b| {
            let mut row = b.items.clone();
            if row.len() > cap {
                row.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                row.truncate(cap);
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket(items: &[(u32, f32)]) -> Basket {
        Basket { segment: 0, items: items.to_vec() }
    }

    #[test]
    fn the_cosine_of_two_columns_and_the_top_m_cut() {
        // Debtors: {0,1}, {0,1}, {0,2}. Columns: 0=(1,1,1), 1=(1,1,0), 2=(0,0,1).
        let baskets =
            [basket(&[(0, 1.0), (1, 1.0)]), basket(&[(0, 1.0), (1, 1.0)]), basket(&[(0, 1.0), (2, 1.0)])];
        let params = ValidRecommenderParams::default();
        let near = neighbours(&baskets, 3, &params);
        let cos01 = 2.0 / (3.0f32.sqrt() * 2.0f32.sqrt());
        let cos02 = 1.0 / 3.0f32.sqrt();
        assert_eq!(near[0].iter().map(|n| n.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!((near[0][0].1 - cos01).abs() < 1e-6 && (near[0][1].1 - cos02).abs() < 1e-6);
        assert_eq!(near[1], vec![(0, near[0][0].1)]);
        assert_eq!(near[2].len(), 1, "1 and 2 were never bought together");

        let one = ValidRecommenderParams { neighbours: 1, ..params };
        assert_eq!(neighbours(&baskets, 3, &one)[0], vec![near[0][0]]);
    }

    #[test]
    fn full_asymmetry_is_the_share_of_the_first_items_buyers() {
        // Item 0 bought by 3 debtors, item 1 by 2 of them: 1 is bought with 0 by 2 of 3 of its buyers.
        let baskets = [basket(&[(0, 1.0), (1, 1.0)]), basket(&[(0, 1.0), (1, 1.0)]), basket(&[(0, 1.0)])];
        let params = ValidRecommenderParams { asymmetry: 1.0, ..Default::default() };
        let near = neighbours(&baskets, 2, &params);
        assert!((near[0][0].1 - 2.0 / 3.0).abs() < 1e-6, "{near:?}");
        assert!((near[1][0].1 - 1.0).abs() < 1e-6, "{near:?}");
    }

    #[test]
    fn a_capped_debtor_keeps_only_their_heaviest_items() {
        let baskets = [basket(&[(0, 0.1), (1, 1.0), (2, 1.0)])];
        let params = ValidRecommenderParams { max_items_per_debtor: 2, ..Default::default() };
        let near = neighbours(&baskets, 3, &params);
        assert!(near[0].is_empty());
        assert_eq!(near[1].iter().map(|n| n.0).collect::<Vec<_>>(), vec![2]);
    }
}
