//! Shared harness of the integration tests: real servers, fresh databases, unique namespaces.

pub mod amqp;
pub mod browser;
pub mod db;
pub mod malformed;
pub mod rules;
pub mod scenario;
pub mod servers;
pub mod stripe;
