//! The pay-page behind every reminder's pay-link (`GET /pay/{token}` on the `api` role): what is
//! owed today and every way to settle it — bank transfer with the GiroCode, card through the
//! PSP when one is configured, a promise to pay by a date, a dispute, a request to be contacted —
//! in the debtor's language, in the creditor's colours. This module renders; the handlers in
//! `crate::api::pay` verify the link and call the rules of [`crate::pay`].
//!
//! # Layout
//! - `words`: the fixed words in eight languages and the choice of language.
//! - `templates`: the HTML templates, shipped and per tenant.
//! - `forms`: the posted forms, checked field by field.
//! - `girocode`: the EPC QR code as inline SVG.

pub mod click;
pub mod forms;
pub mod girocode;
pub mod recommended;
pub mod templates;
pub mod words;

use crate::config::pay::PayConfig;
use crate::deliver::locale::Locale;
use crate::deliver::owed::owed_lines;
use crate::deliver::{Creditor, Creditors};
use crate::domain::{
    standing, CaseState, DisputeReason, InstalmentRules, Money, PlanStanding, PromiseRules, TenantId,
};
use crate::store::PayCase;
use base64::Engine;
use chrono::NaiveDate;
use forms::{FieldErrors, FIELDS, WINDOWS};
use mahnwerk_channels::BankDetails;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
pub use templates::{PayTemplateError, PayTemplates};

const CSS: &str = include_str!("templates/pay.css");
/// The accent colour where the creditor sets none: a dark blue with white text at 7:1.
const DEFAULT_ACCENT: &str = "#1d4f91";

/// A rendered page with the hash its inline style is allowed by in the Content-Security-Policy.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    /// `'sha256-…'` of the page's `<style>` element.
    pub style_source: String,
}

/// Why a page is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A tampered, expired or unknown link: one answer for all three.
    Link,
    /// Too many requests from one address or on one link.
    Busy,
    /// The store did not answer.
    Unavailable,
}

/// A confirmation shown above the page after the debtor did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Promised(NaiveDate),
    /// An instalment plan was agreed (its first instalment) or requested (`None`).
    Instalments(Option<(NaiveDate, rust_decimal::Decimal)>),
    Disputed,
    ContactRequested,
}

/// A form posted back with errors: what the debtor typed and what is wrong with it.
#[derive(Debug, Clone, Default)]
pub struct FormState<'a> {
    pub errors: FieldErrors,
    pub values: Vec<(&'static str, &'a str)>,
}

/// Where the page's forms post to and how they prove they came from it.
#[derive(Debug, Clone, Copy)]
pub struct PageLinks<'a> {
    /// `/pay/{token}`.
    pub action: &'a str,
    pub form_token: &'a str,
}

/// Everything the pay-pages are rendered from that does not change per request.
pub struct PayPages {
    templates: PayTemplates,
    creditors: Creditors,
    rules: PromiseRules,
    instalments: InstalmentRules,
    /// Whether a PSP is configured (the card option is shown).
    card: bool,
}

impl PayPages {
    /// The pages; every template set is rendered once against sample pages (see
    /// [`PayTemplates`]), so a broken tenant template stops the start.
    pub fn new(
        templates: PayTemplates,
        creditors: Creditors,
        pay: &PayConfig,
        card: bool,
    ) -> Result<Self, PayTemplateError> {
        let pages = Self {
            templates,
            creditors,
            rules: pay.promise_rules(),
            instalments: pay.instalment_rules(),
            card,
        };
        let sample = PayCase::sample();
        let links = PageLinks { action: "/pay/sample", form_token: "sample" };
        let today = sample.due_on;
        let mut errors = FieldErrors::default();
        for field in FIELDS {
            errors.0.insert(field, ("error_required", None));
        }
        let samples = [
            ("pay.html.j2", pages.case_context(&sample, "en", links, today, None, None)),
            (
                "pay.html.j2",
                pages.case_context(
                    &sample,
                    "de",
                    links,
                    today,
                    Some(Notice::Disputed),
                    Some(&FormState { errors, values: vec![] }),
                ),
            ),
            ("done.html.j2", pages.done_context(&sample, "en", true)),
            ("refused.html.j2", pages.refused_context(Some(&sample.tenant), "en", Refusal::Link)),
            ("refused.html.j2", pages.refused_context(None, "en", Refusal::Busy)),
        ];
        let samples = samples.map(|(name, mut context)| {
            context["style"] = Value::String(style(None));
            (name, context)
        });
        pages.templates.check(&samples)?;
        Ok(pages)
    }

    pub fn promise_rules(&self) -> PromiseRules {
        self.rules
    }

    pub fn instalment_rules(&self) -> InstalmentRules {
        self.instalments
    }

    /// The page for an open case, with a `notice` after an action or a form with errors.
    pub fn case_page(
        &self,
        case: &PayCase,
        language: &'static str,
        links: PageLinks<'_>,
        today: NaiveDate,
        notice: Option<Notice>,
        form: Option<&FormState<'_>>,
    ) -> Result<Rendered, minijinja::Error> {
        let context = self.case_context(case, language, links, today, notice, form);
        self.render(Some(&case.tenant), "pay.html.j2", context)
    }

    /// The page for a case with nothing to pay: paid (the thank-you page), or closed otherwise;
    /// `processing` when the debtor just came back from the PSP and the payment is not recorded
    /// yet.
    pub fn done_page(
        &self,
        case: &PayCase,
        language: &'static str,
        processing: bool,
        recommended: &[recommended::Shown],
    ) -> Result<Rendered, minijinja::Error> {
        let mut context = self.done_context(case, language, processing);
        context["recommended"] = json!(recommended);
        self.render(Some(&case.tenant), "done.html.j2", context)
    }

    /// The same page for a tampered, expired or unknown link, or the refusal for too many
    /// requests or a store that is away.
    pub fn refused_page(
        &self,
        tenant: Option<&TenantId>,
        language: &'static str,
        refusal: Refusal,
    ) -> Result<Rendered, minijinja::Error> {
        let context = self.refused_context(tenant, language, refusal);
        self.render(tenant, "refused.html.j2", context)
    }

    /// Whether a case's page asks for money: open, reminding, paused, disputed or escalated, with
    /// something still owed.
    pub fn asks_for_money(case: &PayCase) -> bool {
        !matches!(case.state, CaseState::Paid | CaseState::Cancelled) && !case.open_principal().is_zero()
    }

    /// What settles `case` on `today` under its creditor's law (see [`PayCase::total_owed`]).
    pub fn total_owed(&self, case: &PayCase, today: NaiveDate) -> rust_decimal::Decimal {
        case.total_owed(&self.creditors.get(case.tenant.as_str()).law(), today)
    }

    fn render(
        &self,
        tenant: Option<&TenantId>,
        name: &str,
        mut context: Value,
    ) -> Result<Rendered, minijinja::Error> {
        let creditor = tenant.map(|t| self.creditors.get(t.as_str()));
        let style = style(creditor.as_ref());
        let style_source = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()))
        );
        context["style"] = Value::String(style);
        let html = self.templates.render(tenant.map(TenantId::as_str), name, &context)?;
        Ok(Rendered { html, style_source })
    }

    fn base_context(&self, tenant: Option<&TenantId>, language: &'static str) -> Value {
        let creditor = match tenant {
            Some(tenant) => self.creditors.get(tenant.as_str()),
            // A link that does not verify names no creditor we could trust.
            None => {
                Creditor { name: String::new(), email: String::new(), phone: None, ..self.creditors.get("") }
            }
        };
        let phone_link: String = creditor
            .phone
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        json!({
            "lang": language,
            "t": words::words(language),
            "creditor": {
                "name": creditor.name,
                "email": creditor.email,
                "phone": creditor.phone.clone().unwrap_or_default(),
                "phone_link": phone_link,
                "address_lines": creditor.address_lines,
                "logo_url": creditor.logo_url.clone().unwrap_or_default(),
                "legal_footer": creditor.legal_footer.clone().unwrap_or_default(),
            },
        })
    }

    fn case_context(
        &self,
        case: &PayCase,
        language: &'static str,
        links: PageLinks<'_>,
        today: NaiveDate,
        notice: Option<Notice>,
        form: Option<&FormState<'_>>,
    ) -> Value {
        let t = words::words(language);
        let locale = Locale::of(language);
        let currency = case.amount_due.currency();
        let show = |amount| locale.money(&Money::new(amount, currency));
        let nonzero =
            |amount: rust_decimal::Decimal| if amount.is_zero() { String::new() } else { show(amount) };
        let creditor = self.creditors.get(case.tenant.as_str());
        let law = creditor.law();
        let total = case.total_owed(&law, today);
        let owed = match case.owed(&law, today) {
            Ok(owed) if !total.is_zero() => Some(owed_lines(&owed, language)),
            _ => None,
        };
        let transfer = creditor.bank.as_ref().filter(|_| !total.is_zero()).map(|bank| {
            let holder = bank.account_holder.clone().unwrap_or_else(|| creditor.name.clone());
            let transfer = crate::deliver::letter::transfer(case.invoice_number.as_str(), total);
            let reference = match (&transfer.reference, &transfer.text) {
                (Some(rf), _) => rf.printed(),
                (None, Some(text)) => text.clone(),
                (None, None) => case.invoice_number.to_string(),
            };
            let details = BankDetails {
                account_holder: holder.clone(),
                iban: bank.iban.clone(),
                bic: bank.bic.clone(),
            };
            // EPC QR codes are for euros only.
            let girocode = (currency.code() == "EUR")
                .then(|| girocode::payload(&details, &transfer).ok())
                .flatten()
                .map(|payload| {
                    let label =
                        t["girocode_label"].replace("{amount}", &show(total)).replace("{holder}", &holder);
                    girocode::svg(&payload, &label)
                })
                .unwrap_or_default();
            json!({
                "holder": holder,
                "iban": bank.iban.printed(),
                "bic": bank.bic.as_ref().map(|b| b.as_str().to_owned()).unwrap_or_default(),
                "amount": show(total),
                "reference": reference,
                "girocode": girocode,
            })
        });
        let notice = match notice {
            Some(Notice::Promised(date)) => t["notice_promise"].replace("{date}", &locale.date(date)),
            Some(Notice::Disputed) => t["notice_dispute"].clone(),
            Some(Notice::Instalments(Some((date, amount)))) => t["notice_instalments"]
                .replace("{date}", &locale.date(date))
                .replace("{amount}", &show(amount)),
            Some(Notice::Instalments(None)) => t["notice_instalment_request"].clone(),
            Some(Notice::ContactRequested) => t["notice_contact"].clone(),
            None => String::new(),
        };
        let next_instalment = case.instalments.as_ref().and_then(|plan| {
            match standing(
                &plan.instalments,
                case.amount_paid - plan.paid_before,
                today,
                self.rules.grace_days,
            ) {
                PlanStanding::OnTrack { next } => Some(next),
                _ => None,
            }
        });
        let status = match (case.disputed, case.promised_on, next_instalment) {
            (true, _, _) => t["status_disputed"].clone(),
            (false, Some(date), _) => t["status_promised"].replace("{date}", &locale.date(date)),
            (false, None, Some(next)) => t["status_instalments"]
                .replace("{date}", &locale.date(next.due_on))
                .replace("{amount}", &show(next.amount)),
            (false, None, None) => String::new(),
        };
        let most = self.instalments.most_months(total);
        let options: Vec<Value> = (2..=forms::MAX_MONTHS_ASKED.max(most))
            .map(|months| {
                let label = if months <= most {
                    let each = (total / rust_decimal::Decimal::from(months)).round_dp(currency.minor_units());
                    t["instalments_option"]
                        .replace("{months}", &months.to_string())
                        .replace("{amount}", &show(each))
                } else {
                    t["instalments_request_option"].replace("{months}", &months.to_string())
                };
                json!({"value": months.to_string(), "label": label})
            })
            .collect();
        let latest = self.rules.latest(today);
        let mut errors = Map::new();
        let mut values = Map::new();
        for field in FIELDS {
            errors.insert(field.into(), Value::String(String::new()));
            values.insert(field.into(), Value::String(String::new()));
        }
        let mut has_errors = false;
        if let Some(form) = form {
            for (field, (key, extra)) in &form.errors.0 {
                let mut message = t[*key].clone();
                if let Some(extra) = extra {
                    message = message.replace("{days}", extra);
                }
                errors.insert((*field).into(), Value::String(message));
                has_errors = true;
            }
            for (field, value) in &form.values {
                values.insert((*field).into(), Value::String((*value).to_owned()));
            }
        }
        let labels = json!({
            "promised_on": t["promise_date"], "months": t["instalments_months"], "reason": t["dispute_reason"], "details": t["dispute_details"],
            "phone": t["contact_phone"], "email": t["contact_email"], "window": t["contact_window"],
            "message": t["contact_message"],
        });
        let reasons: Vec<Value> = DisputeReason::ALL
            .iter()
            .map(|r| json!({"value": r.as_str(), "label": t[&format!("reason_{}", r.as_str())]}))
            .collect();
        let windows: Vec<Value> =
            WINDOWS.iter().map(|w| json!({"value": w, "label": t[&format!("window_{w}")]})).collect();
        let open = case.state.accepts_reminders() || case.state == CaseState::Paused;
        let mut context = self.base_context(Some(&case.tenant), language);
        let extra = json!({
            "invoice_number": case.invoice_number.as_str(),
            "debtor_name": case.debtor_name,
            "due_date": locale.date(case.due_on),
            "amounts": {
                "principal": show(case.amount_due.amount()),
                "paid": nonzero(case.amount_paid),
                "total": show(total),
                "lines": owed.as_ref().map(|o| o.lines.clone()).unwrap_or_default(),
                // The letters' and emails' name for it, so every text calls the total alike.
                "total_label": crate::deliver::words::Words::of(language).total,
            },
            "transfer": transfer,
            "card": self.card && !total.is_zero(),
            "can_promise": open && !case.disputed,
            "can_dispute": !case.disputed && case.state != CaseState::Disputed,
            "instalments": {
                "offered": self.instalments.offered() && open && !case.disputed && !total.is_zero() && next_instalment.is_none(),
                "min_amount": show(self.instalments.min_amount),
                "options": options,
            },
            "promise": { "min": today.to_string(), "max": latest.to_string(), "latest_text": locale.date(latest) },
            "notice": notice,
            "status": status,
            "has_errors": has_errors,
            "errors": errors,
            "values": values,
            "labels": labels,
            "reasons": reasons,
            "windows": windows,
            "action": links.action,
            "form_token": links.form_token,
        });
        merge(&mut context, extra);
        context
    }

    fn done_context(&self, case: &PayCase, language: &'static str, processing: bool) -> Value {
        let t = words::words(language);
        let number = case.invoice_number.as_str();
        let (heading, text) = match case.state {
            CaseState::Paid => (&t["paid_heading"], t["paid_text"].replace("{number}", number)),
            _ if processing => (&t["paid_heading"], t["processing_text"].replace("{number}", number)),
            _ => (&t["closed_heading"], t["closed_text"].replace("{number}", number)),
        };
        let mut context = self.base_context(Some(&case.tenant), language);
        merge(
            &mut context,
            json!({ "heading": heading, "text": text, "invoice_number": number, "paid": case.state == CaseState::Paid,
                     "recommended": [] }),
        );
        context
    }

    fn refused_context(&self, tenant: Option<&TenantId>, language: &'static str, refusal: Refusal) -> Value {
        let t = words::words(language);
        let (heading, text) = match refusal {
            Refusal::Link => (t["refused_heading"].as_str(), t["refused_text"].as_str()),
            Refusal::Busy => (t["busy_text"].as_str(), ""),
            Refusal::Unavailable => (t["unavailable_text"].as_str(), ""),
        };
        let mut context = self.base_context(tenant, language);
        merge(&mut context, json!({ "heading": heading, "text": text }));
        context
    }
}

fn merge(into: &mut Value, extra: Value) {
    if let (Value::Object(into), Value::Object(extra)) = (into, extra) {
        into.extend(extra);
    }
}

/// The page's stylesheet in the creditor's accent colour (checked `#rrggbb` when the
/// configuration is read), with black or white text on it, whichever reads better.
fn style(creditor: Option<&Creditor>) -> String {
    let accent = creditor.and_then(|c| c.accent_colour.as_deref()).unwrap_or(DEFAULT_ACCENT);
    CSS.replace("__ACCENT__", accent).replace("__TEXT_ON_ACCENT__", text_on(accent))
}

/// `#ffffff` or `#111111`, whichever contrasts more with `background` (`#rrggbb`), by WCAG's
/// relative luminance.
fn text_on(background: &str) -> &'static str {
    let channel = |i: usize| {
        let value = u8::from_str_radix(background.get(1 + 2 * i..3 + 2 * i).unwrap_or("00"), 16).unwrap_or(0);
        let c = f64::from(value) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
    let with_white = 1.05 / (luminance + 0.05);
    let with_black = (luminance + 0.05) / (0.0056 + 0.05);
    if with_white >= with_black {
        "#ffffff"
    } else {
        "#111111"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creditors() -> Creditors {
        Creditors { by_tenant: Default::default(), default_email: "billing@example.org".into() }
    }

    fn write(dir: &std::path::Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_tenant_template_replaces_the_shipped_one_for_that_tenant_only() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "acme/pay/refused.html.j2",
            "{% extends \"layout.html.j2\" %}{% block main %}<h1>ACME: {{ heading }}</h1>{% endblock %}",
        );
        let templates = PayTemplates::load(Some(dir.path())).unwrap();
        let pages = PayPages::new(templates, creditors(), &PayConfig::default(), false).unwrap();
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("other").unwrap();
        let own = pages.refused_page(Some(&acme), "de", Refusal::Link).unwrap().html;
        assert!(own.contains("<h1>ACME: Dieser Link ist nicht gültig</h1>"), "{own}");
        let shipped = pages.refused_page(Some(&other), "de", Refusal::Link).unwrap().html;
        assert!(shipped.contains("<h1>Dieser Link ist nicht gültig</h1>"), "{shipped}");
    }

    #[test]
    fn a_broken_tenant_template_stops_the_start_naming_its_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "acme/pay/pay.html.j2",
            "{% extends \"layout.html.j2\" %}{% block main %}{{ amuonts.total }}{% endblock %}",
        );
        let templates = PayTemplates::load(Some(dir.path())).unwrap();
        let error =
            PayPages::new(templates, creditors(), &PayConfig::default(), false).err().unwrap().to_string();
        assert!(error.contains("acme/pay/pay.html.j2") && error.contains("undefined"), "{error}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "acme/pay/payment.html.j2", "x");
        let error = PayTemplates::load(Some(dir.path())).err().unwrap().to_string();
        assert!(error.contains("payment.html.j2") && error.contains("pay.html.j2"), "{error}");
    }

    #[test]
    fn the_style_hash_is_the_hash_of_the_inline_style() {
        let pages =
            PayPages::new(PayTemplates::load(None).unwrap(), creditors(), &PayConfig::default(), false)
                .unwrap();
        let page = pages.refused_page(None, "en", Refusal::Busy).unwrap();
        let style = page.html.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()));
        assert_eq!(page.style_source, format!("'sha256-{hash}'"));
        assert!(!page.html.contains("Contact us"), "a link that does not verify names no creditor");
    }

    #[test]
    fn text_on_the_accent_is_whichever_contrasts_more() {
        assert_eq!(text_on("#1d4f91"), "#ffffff");
        assert_eq!(text_on("#ffd400"), "#111111");
    }
}
