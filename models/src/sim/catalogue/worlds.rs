//! Named catalogue worlds of different structure, so that a recommender is judged on ground it
//! was not tuned on: what drives the next purchase differs (complements, popularity, repeats,
//! seasons), and with it which signal a recommender must read.

use super::CatalogueConfig;

/// One catalogue world.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueWorld {
    /// Short name for the command line and tables, e.g. `"complements"`.
    pub name: &'static str,
    /// One line saying what is different here.
    pub about: &'static str,
    pub config: CatalogueConfig,
}

impl CatalogueWorld {
    /// Every world, the tuning world (`balanced`) first.
    pub fn all() -> Vec<CatalogueWorld> {
        let base = CatalogueConfig::default;
        vec![
            CatalogueWorld {
                name: "balanced",
                about: "some of everything: taste, complements, consumables, seasons, two segments",
                config: base(),
            },
            CatalogueWorld {
                name: "complements",
                about: "most items have complements in another category, and orders go to them first",
                config: CatalogueConfig {
                    complement_share: 0.9,
                    complement_pull: 0.6,
                    taste_focus: 0.5,
                    ..base()
                },
            },
            CatalogueWorld {
                name: "popularity",
                about: "a few hits (Zipf 1.5), weak taste, few complements or consumables, similar segments",
                config: CatalogueConfig {
                    popularity_skew: 1.5,
                    taste_focus: 0.2,
                    segment_contrast: 0.3,
                    complement_share: 0.1,
                    complement_pull: 0.1,
                    consumable_share: 0.1,
                    ..base()
                },
            },
            CatalogueWorld {
                name: "repeats",
                about: "60 % consumables, bought again when due 90 % of the time",
                config: CatalogueConfig { consumable_share: 0.6, repeat_loyalty: 0.9, ..base() },
            },
            CatalogueWorld {
                name: "seasonal",
                about: "half the items seasonal, 80 % businesses with tastes far from consumers'",
                config: CatalogueConfig {
                    seasonal_share: 0.5,
                    business_share: 0.8,
                    segment_contrast: 0.9,
                    taste_focus: 0.4,
                    ..base()
                },
            },
        ]
    }

    /// The world called `name`, if there is one.
    pub fn named(name: &str) -> Option<CatalogueWorld> {
        Self::all().into_iter().find(|w| w.name == name)
    }

    /// Every world's name, in [`all`](Self::all) order.
    pub fn names() -> Vec<&'static str> {
        Self::all().iter().map(|w| w.name).collect()
    }
}
