//! The recommender as a versioned, serialisable value: what `mahnwerk-train` writes and the
//! post-payment hook loads.

use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

use super::intern::Interner;
use super::recommender::{FitMeta, Popularity, Recommender};
use super::{RecommendError, RecommenderParams, ValidRecommenderParams};

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A fitted [`Recommender`]: SKU ids are positions in `skus`, segment ids positions in
/// `segments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommenderSnapshot {
    /// Format version; [`Recommender::from_snapshot`] refuses any but [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// What the fit saw.
    pub meta: FitMeta,
    pub params: ValidRecommenderParams,
    skus: Vec<String>,
    segments: Vec<String>,
    /// Per SKU id: `(sku id, cosine)`, most similar first.
    neighbours: Vec<Vec<(u32, f32)>>,
    /// Per segment id, per SKU id: popularity, the segment's top SKU being 1.
    segment_popularity: Vec<Vec<f32>>,
    global_popularity: Vec<f32>,
}

impl Recommender {
    /// The whole fitted state.
    pub fn snapshot(&self) -> RecommenderSnapshot {
        RecommenderSnapshot {
            version: SNAPSHOT_VERSION,
            meta: self.meta,
            params: self.params.clone(),
            skus: self.skus.clone().into(),
            segments: self.segments.clone().into(),
            neighbours: self.neighbours.clone(),
            segment_popularity: self.segment_popularity.iter().map(|p| p.score.clone()).collect(),
            global_popularity: self.global_popularity.score.clone(),
        }
    }

    /// The recommender a snapshot holds, after checking its version, parameters and ids.
    pub fn from_snapshot(snapshot: RecommenderSnapshot) -> Result<Recommender, RecommendError> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(RecommendError::SnapshotVersion {
                found: snapshot.version,
                supported: SNAPSHOT_VERSION,
            });
        }
        let params = RecommenderParams::from(snapshot.params).check()?;
        let items = snapshot.skus.len();
        let invalid = |what: String| Err(RecommendError::InvalidSnapshot(what));
        if snapshot.neighbours.len() != items {
            return invalid(format!("{} neighbour lists for {items} SKUs", snapshot.neighbours.len()));
        }
        for (i, near) in snapshot.neighbours.iter().enumerate() {
            if let Some(&(j, s)) = near.iter().find(|&&(j, s)| j as usize >= items || !s.is_finite()) {
                return invalid(format!("SKU {i} has neighbour {j} with similarity {s}"));
            }
        }
        if snapshot.segment_popularity.len() != snapshot.segments.len() {
            return invalid(format!(
                "{} popularity rows for {} segments",
                snapshot.segment_popularity.len(),
                snapshot.segments.len()
            ));
        }
        let rows = snapshot.segment_popularity.iter().chain(std::iter::once(&snapshot.global_popularity));
        for row in rows.clone() {
            if row.len() != items || row.iter().any(|p| !(0.0..=1.0).contains(p)) {
                return invalid(format!("a popularity row of {} values, not {items} in [0, 1]", row.len()));
            }
        }
        Ok(Recommender::from_parts(
            params,
            Interner::from(snapshot.skus),
            Interner::from(snapshot.segments),
            snapshot.neighbours,
            snapshot.segment_popularity.into_iter().map(Popularity::from_scores).collect(),
            Popularity::from_scores(snapshot.global_popularity),
            snapshot.meta,
        ))
    }
}

impl Serialize for Recommender {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.snapshot().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Recommender {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let snapshot = RecommenderSnapshot::deserialize(deserializer)?;
        Recommender::from_snapshot(snapshot).map_err(serde::de::Error::custom)
    }
}
