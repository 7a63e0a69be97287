//! The browser harness itself ([`crate::support::browser`]): the language a browser is started in
//! reaches the server as `Accept-Language`, and the phone and desktop sizes are what a page sees.

use crate::support::browser::{Browser, DESKTOP, PHONE};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_sends_its_language_and_takes_the_phone_and_desktop_sizes() {
    let server = MockServer::start().await;
    let page = "<!doctype html><html><head><meta name=\"viewport\" content=\"width=device-width\"></head>\
                <body><label>Betrag <input name=\"amount\"></label></body></html>";
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=utf-8"))
        .mount(&server)
        .await;
    let Some(browser) = Browser::in_language("de-DE").await else { return };

    browser.goto(&server.uri()).await;
    let requests = server.received_requests().await.unwrap();
    let languages = requests[0].headers.get("accept-language").expect("an Accept-Language header");
    assert!(languages.to_str().unwrap().starts_with("de-DE,de"), "{languages:?}");

    let height = || async {
        browser.client().execute("return window.innerHeight", vec![]).await.unwrap().as_u64().unwrap()
    };
    assert_eq!((browser.layout_width().await, height().await), (u64::from(DESKTOP.0), u64::from(DESKTOP.1)));
    browser.phone().await;
    assert_eq!((browser.layout_width().await, height().await), (u64::from(PHONE.0), u64::from(PHONE.1)));
    browser.fill("Betrag", "12,50").await;
    let typed = browser.field("Betrag").await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("12,50"));
    browser.desktop().await;
    assert_eq!(browser.layout_width().await, u64::from(DESKTOP.0));
    browser.close().await;
}
