//! Helpers shared by the tests of the HTTP providers.

/// A base URL where nothing listens: a port bound and freed again, so connecting is refused.
pub fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
