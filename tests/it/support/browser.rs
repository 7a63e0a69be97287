//! A real headless Chromium for the tests of the service's HTML pages, driven over WebDriver:
//! [`Browser::start`] runs `chromedriver` on a free port (its process group is killed on drop,
//! Chromium with it) and opens a session on a fresh profile, with no network chatter of its own
//! (the machines the tests run on have no internet). Tests look at pages as a user does: the
//! visible text, labelled fields, buttons by their words, a phone-sized screen, screenshots.
//!
//! Without `chromium` and `chromedriver` a test skips with a notice, except under `CI=true`, where
//! it fails (`.ci/run` installs Debian's `chromium` and `chromium-driver`).
//! `MAHNWERK_TEST_CHROMIUM` and `MAHNWERK_TEST_CHROMEDRIVER` name other binaries.

#![allow(dead_code)]

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long [`Browser::wait_for_text`] and the driver's start wait before they fail.
const PATIENCE: Duration = Duration::from_secs(20);

/// A phone's screen in CSS pixels (an iPhone 12 to 15), rendered as a phone does: the page's
/// `<meta name="viewport">` decides its layout width, and a page without one is laid out at 980
/// pixels and shrunk.
pub const PHONE: (u32, u32) = (390, 844);
/// A laptop's browser window.
pub const DESKTOP: (u32, u32) = (1280, 900);

/// One headless Chromium session and the chromedriver behind it.
pub struct Browser {
    client: Client,
    http: reqwest::Client,
    // Fields drop in order: the driver's processes end before their profile is removed.
    driver: Driver,
    profile: tempfile::TempDir,
}

impl Browser {
    /// A browser that asks for English pages (`Accept-Language: en-US,en`); `None` to skip.
    pub async fn start() -> Option<Self> {
        Self::in_language("en-US").await
    }

    /// A browser whose `Accept-Language` starts with `language` (a tag such as `de-DE`), as
    /// Chromium set to that language sends it; `None` to skip (not under CI).
    pub async fn in_language(language: &str) -> Option<Self> {
        let (chromium, chromedriver) = binaries()?;
        let profile = tempfile::tempdir().expect("a temporary folder");
        let port = free_port();
        let log = profile.path().join("chromedriver.log");
        let mut driver = Command::new(&chromedriver);
        driver
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // A group of its own, so that drop can end Chromium with the driver.
        std::os::unix::process::CommandExt::process_group(&mut driver, 0);
        let driver =
            Driver(driver.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display())));
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while http.get(format!("{url}/status")).send().await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "chromedriver did not start: {}", tail(&log));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities(&chromium, profile.path(), language))
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("starting Chromium: {e}\n{}", tail(&log)));
        client.update_timeouts(timeouts()).await.expect("setting the timeouts");
        let browser = Self { client, http, driver, profile };
        browser.desktop().await;
        Some(browser)
    }

    /// The fantoccini client, for what this helper does not offer.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A phone's screen ([`PHONE`]): a mobile viewport at 3 device pixels per CSS pixel.
    pub async fn phone(&self) {
        self.viewport(PHONE, 3, true).await;
    }

    /// A desktop browser's viewport ([`DESKTOP`], one device pixel per CSS pixel), the default.
    pub async fn desktop(&self) {
        self.viewport(DESKTOP, 1, false).await;
    }

    /// A viewport of `(width, height)` CSS pixels at `scale` device pixels each; `mobile` also
    /// makes the page's `<meta name="viewport">` count and turns on touch, as on a phone or tablet.
    /// Screenshots are `scale` times the size. Lasts for the session, across page loads.
    pub async fn viewport(&self, (width, height): (u32, u32), scale: u32, mobile: bool) {
        let metrics = json!({"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile});
        self.cdp("Emulation.setDeviceMetricsOverride", metrics).await;
        self.cdp("Emulation.setTouchEmulationEnabled", json!({"enabled": mobile, "maxTouchPoints": 5})).await;
    }

    /// The width the page is laid out at, in CSS pixels: on a [`PHONE`] it is the phone's width
    /// only when the page says `<meta name="viewport" content="width=device-width">`.
    pub async fn layout_width(&self) -> u64 {
        let width = self.client.execute("return window.innerWidth", vec![]).await.expect("reading the width");
        width.as_u64().expect("a width")
    }

    /// Loads `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The HTTP status `url` answers a GET with, asked beside the browser (WebDriver does not
    /// tell). A second request: use it only where a GET changes nothing.
    pub async fn status(&self, url: &str) -> u16 {
        self.http.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}")).status().as_u16()
    }

    /// The page's text as a user sees it (`document.body.innerText`: hidden elements left out).
    pub async fn text(&self) -> String {
        let text =
            self.client.execute("return document.body.innerText", vec![]).await.expect("reading the page");
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the visible text contains `needle` (after a click that navigates), and
    /// returns the text; fails the test with the text after a while.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {needle:?} on the page: {text}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element `selector` (CSS) picks.
    pub async fn css(&self, selector: &str) -> Element {
        self.client.find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("no {selector:?}: {e}"))
    }

    /// The form field labelled `label` (a `<label for>` or a label around the field), as a
    /// screen reader finds it.
    pub async fn field(&self, label: &str) -> Element {
        let xpath = format!("//label[contains(normalize-space(.), {})]", xpath_string(label));
        let found = self.client.find(Locator::XPath(&xpath)).await;
        let label_element = found.unwrap_or_else(|e| panic!("no label {label:?}: {e}"));
        match label_element.attr("for").await.expect("reading the label") {
            Some(id) => self.client.find(Locator::Id(&id)).await,
            None => label_element.find(Locator::Css("input, select, textarea")).await,
        }
        .unwrap_or_else(|e| panic!("no field labelled {label:?}: {e}"))
    }

    /// Types `value` into the field labelled `label`, replacing what was there.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.expect("clearing the field");
        field.send_keys(value).await.expect("typing");
    }

    /// Clicks the element `selector` (CSS) picks.
    pub async fn click(&self, selector: &str) {
        self.css(selector).await.click().await.unwrap_or_else(|e| panic!("clicking {selector:?}: {e}"));
    }

    /// Clicks the button (or submit input) that reads `words`.
    pub async fn click_button(&self, words: &str) {
        let words_xpath = xpath_string(words);
        let xpath = format!(
            "//button[normalize-space(.)={words_xpath}] | //input[@type='submit' and @value={words_xpath}]"
        );
        let button = self.client.find(Locator::XPath(&xpath)).await;
        let button = button.unwrap_or_else(|e| panic!("no button {words:?}: {e}"));
        button.click().await.unwrap_or_else(|e| panic!("clicking {words:?}: {e}"));
    }

    /// Saves what the browser shows as `target/test-artefacts/screenshots/<name>.png` (in the
    /// workspace, whatever `CARGO_TARGET_DIR` says) and prints the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("taking a screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artefacts/screenshots");
        std::fs::create_dir_all(&dir).expect("creating the screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Ends the session (Chromium quits); dropping the browser without it kills both.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        let command = Cdp { cmd, params };
        self.client.issue_cmd(command).await.unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }
}

/// The chromedriver process, leader of a process group that Chromium joins.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver, Chromium and its helpers, also after a failed test.
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Headless Chromium that starts clean and keeps quiet: no first-run screens, no updates, sync
/// or other background requests (refused connections without internet), no sandbox (the tests
/// run as root in containers), no GPU, and `/tmp` instead of a small `/dev/shm`.
fn capabilities(chromium: &Path, profile: &Path, language: &str) -> serde_json::Map<String, Value> {
    let primary = language.split('-').next().unwrap_or(language);
    let accept = if primary == language { language.to_owned() } else { format!("{language},{primary}") };
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        &format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
        &format!("--lang={language}"),
        &format!("--user-data-dir={}", profile.join("chromium").display()),
    ];
    let options = json!({
        "binary": chromium,
        "args": args,
        "prefs": {"intl": {"accept_languages": accept}},
    });
    let capabilities = json!({"browserName": "chrome", "goog:chromeOptions": options});
    capabilities.as_object().expect("an object").clone()
}

fn timeouts() -> fantoccini::wd::TimeoutConfiguration {
    let page_load = Some(PATIENCE);
    fantoccini::wd::TimeoutConfiguration::new(Some(PATIENCE), page_load, Some(Duration::ZERO))
}

/// Chromium and chromedriver, or `None` (skip) — a failure under `CI=true`.
fn binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = binary("MAHNWERK_TEST_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = binary("MAHNWERK_TEST_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some((chromium, chromedriver)),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "chromium or chromedriver is not installed, and CI=true: the browser tests need them \
             (apt-get install chromium chromium-driver, as .ci/run does)"
        ),
        _ => {
            eprintln!("skipping: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)");
            None
        }
    }
}

/// The binary `var` names (none if it is not there), else the first of `names` on `PATH`.
fn binary(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The end of chromedriver's log, for a failure message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// `text` as an XPath string literal.
fn xpath_string(text: &str) -> String {
    if text.contains('\'') {
        assert!(!text.contains('"'), "both quotes in {text:?}");
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}
