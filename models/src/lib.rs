//! Pure learning code for mahnwerk: the debtor simulator, the channel and send-time bandit (with its
//! warm-start regression), the post-payment product recommender. No IO and no async: everything
//! here is a function over plain data.

pub mod bandit;
pub mod recommend;
pub mod sim;
