//! Pure learning code for mahnwerk: the debtor simulator today; the bandit, the regression and the
//! recommender as they arrive. No IO and no async: everything here is a function over plain data.

pub mod sim;
