//! The thank-you message's templates (minijinja): the shipped ones embedded in the binary
//! (`src/hooks/thanks/templates/<language>/<name>.j2`, in the reminders' eight languages), and
//! a tenant's own from the reminders' `templates_dir` (`<dir>/<tenant>/<language>/<name>.j2`,
//! beside the tenant's reminder templates).
//!
//! Like the reminder templates, each is checked when loaded: syntax, every variable against
//! [`VARIABLES`], and one render against a sample with strict undefined values. Lookup for a
//! debtor's language tag (`de-AT`) tries `de-AT`, `de`, then `en`, the tenant's before the
//! shipped one in each.

use crate::deliver::TemplateError;
use crate::domain::{Language, TenantId};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The templates of a thank-you message: the email's subject, text and HTML parts, and the short
/// text of SMS, WhatsApp and Messenger. Every one says how to object (`opt_out_link`).
pub const NAMES: [&str; 4] = ["thanks_subject", "thanks_text", "thanks_html", "thanks_short"];

/// The variables a thank-you template may read: strings, and `items`, a list (at least one) of
/// `{name, price, reason, link}`.
pub const VARIABLES: [&str; 6] =
    ["salutation", "creditor_name", "creditor_email", "invoice_number", "items", "opt_out_link"];

macro_rules! shipped {
    ($($lang:literal),* $(,)?) => {
        &[$(
            ($lang, "thanks_subject", include_str!(concat!("templates/", $lang, "/thanks_subject.j2"))),
            ($lang, "thanks_text", include_str!(concat!("templates/", $lang, "/thanks_text.j2"))),
            ($lang, "thanks_html", include_str!(concat!("templates/", $lang, "/thanks_html.j2"))),
            ($lang, "thanks_short", include_str!(concat!("templates/", $lang, "/thanks_short.j2"))),
        )*]
    };
}

const SHIPPED: &[(&str, &str, &str)] = shipped!("en", "de", "fr", "es", "it", "nl", "pl", "tr");

/// One recommended item as a template reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemVars {
    pub name: String,
    /// In the debtor's locale (`39,90 €`).
    pub price: String,
    /// Why, in the debtor's language.
    pub reason: String,
    /// The signed click link (`/r/{token}`), absolute.
    pub link: String,
}

/// What a thank-you template reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThanksVars {
    pub salutation: String,
    pub creditor_name: String,
    pub creditor_email: String,
    pub invoice_number: String,
    pub items: Vec<ItemVars>,
    pub opt_out_link: String,
}

impl ThanksVars {
    /// A complete sample, for checking templates when they load.
    pub fn sample() -> Self {
        let item = ItemVars {
            name: "Toner".into(),
            price: "39,90 €".into(),
            reason: "Oft zusammen gekauft mit Laserdrucker".into(),
            link: "https://pay.example/r/token".into(),
        };
        Self {
            salutation: "Guten Tag Erika Mustermann,".into(),
            creditor_name: "ACME GmbH".into(),
            creditor_email: "forderungen@acme.example".into(),
            invoice_number: "RE-1".into(),
            items: vec![item.clone(), item],
            opt_out_link: "https://pay.example/optout/token".into(),
        }
    }
}

/// The loaded thank-you templates.
pub struct ThanksTemplates {
    env: Environment<'static>,
    keys: BTreeSet<String>,
}

impl std::fmt::Debug for ThanksTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThanksTemplates").field("templates", &self.keys.len()).finish_non_exhaustive()
    }
}

impl ThanksTemplates {
    /// The shipped templates, with a tenant's `thanks_*.j2` from `dir` (the reminders'
    /// `templates_dir`) over them.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with("thanks_html.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // The reminders' HTML escaping, which keeps `/` in links readable.
        env.set_formatter(crate::deliver::templates::html_formatter);
        let mut templates = Self { env, keys: BTreeSet::new() };
        for (language, name, source) in SHIPPED {
            templates.add(format!("shipped:{language}/{name}.j2"), (*source).to_owned())?;
        }
        if let Some(dir) = dir {
            for (key, source) in read_overrides(dir)? {
                templates.add(key, source)?;
            }
        }
        Ok(templates)
    }

    fn add(&mut self, key: String, source: String) -> Result<(), TemplateError> {
        let invalid = |reason: String| TemplateError::Invalid { template: key.clone(), reason };
        self.env.add_template_owned(key.clone(), source).map_err(|e| invalid(e.to_string()))?;
        let template = self.env.get_template(&key).map_err(|e| invalid(e.to_string()))?;
        let mut unknown: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !VARIABLES.contains(&v.as_str()))
            .collect();
        unknown.sort();
        if let Some(variable) = unknown.into_iter().next() {
            return Err(TemplateError::Invalid {
                template: key,
                reason: format!("unknown variable `{variable}` (known: {})", VARIABLES.join(", ")),
            });
        }
        template.render(ThanksVars::sample()).map_err(|e| invalid(e.to_string()))?;
        self.keys.insert(key);
        Ok(())
    }

    /// Renders `name` for a debtor of `tenant` speaking `language`, in the first language found;
    /// returns the text and that language.
    pub fn render(
        &self,
        tenant: &TenantId,
        language: &Language,
        name: &str,
        vars: &ThanksVars,
    ) -> Result<String, TemplateError> {
        let tag = language.to_string();
        let mut languages = vec![tag.as_str(), language.primary(), "en"];
        languages.dedup();
        let key = languages
            .into_iter()
            .flat_map(|lang| [format!("{tenant}/{lang}/{name}.j2"), format!("shipped:{lang}/{name}.j2")])
            .find(|key| self.keys.contains(key))
            .ok_or_else(|| TemplateError::Invalid {
                template: name.to_owned(),
                reason: "not found".into(),
            })?;
        let invalid =
            |e: minijinja::Error| TemplateError::Invalid { template: key.clone(), reason: e.to_string() };
        self.env.get_template(&key).map_err(invalid)?.render(vars).map_err(invalid)
    }

    /// The language `render` writes in for `language`: the first of `de-AT`, `de`, `en` that
    /// the shipped templates have (tenant templates are in one of them, or in a tag the debtor
    /// gave exactly).
    pub fn language_of(language: &Language) -> &'static str {
        let shipped = ["en", "de", "fr", "es", "it", "nl", "pl", "tr"];
        shipped.into_iter().find(|l| *l == language.primary()).unwrap_or("en")
    }
}

/// `<tenant>/<language>/thanks_*.j2` below `dir`, each keyed `<tenant>/<language>/<name>.j2`,
/// with its source. Other files there are the reminder templates' (checked by their loader).
fn read_overrides(dir: &Path) -> Result<Vec<(String, String)>, TemplateError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| TemplateError::Io { path, source }
    };
    let mut found = Vec::new();
    for tenant in std::fs::read_dir(dir).map_err(io(dir))? {
        let tenant = tenant.map_err(io(dir))?;
        let tenant_name = tenant.file_name().to_string_lossy().into_owned();
        if !tenant.path().is_dir() || TenantId::parse(&tenant_name).is_err() {
            continue;
        }
        for language in std::fs::read_dir(tenant.path()).map_err(io(&tenant.path()))? {
            let language = language.map_err(io(&tenant.path()))?;
            let language_name = language.file_name().to_string_lossy().into_owned();
            if !language.path().is_dir() || Language::parse(&language_name).is_err() {
                continue;
            }
            for file in std::fs::read_dir(language.path()).map_err(io(&language.path()))? {
                let file = file.map_err(io(&language.path()))?;
                let file_name = file.file_name().to_string_lossy().into_owned();
                let Some(name) = file_name.strip_suffix(".j2") else { continue };
                if !name.starts_with("thanks_") {
                    continue;
                }
                if !NAMES.contains(&name) {
                    return Err(TemplateError::UnknownFile { path: file.path() });
                }
                let source = std::fs::read_to_string(file.path()).map_err(io(&file.path()))?;
                found.push((format!("{tenant_name}/{language_name}/{file_name}"), source));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_language_renders_the_opt_out_link_and_every_item() {
        let templates = ThanksTemplates::load(None).unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        for language in ["en", "de", "fr", "es", "it", "nl", "pl", "tr"] {
            let language = Language::parse(language).unwrap();
            let vars = ThanksVars::sample();
            for name in ["thanks_text", "thanks_html", "thanks_short"] {
                let text = templates.render(&tenant, &language, name, &vars).unwrap();
                assert!(text.contains(&vars.opt_out_link), "{language} {name}: {text}");
                assert!(text.contains(&vars.items[0].link), "{language} {name}: {text}");
            }
        }
    }

    #[test]
    fn a_tenant_template_wins_and_an_unknown_variable_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let de = dir.path().join("acme/de");
        std::fs::create_dir_all(&de).unwrap();
        std::fs::write(de.join("thanks_subject.j2"), "Danke von {{ creditor_name }}").unwrap();
        std::fs::write(de.join("email_text.j2"), "not ours: skipped").unwrap();
        let templates = ThanksTemplates::load(Some(dir.path())).unwrap();
        let (acme, other) = (TenantId::parse("acme").unwrap(), TenantId::parse("other").unwrap());
        let de_at = Language::parse("de-AT").unwrap();
        let vars = ThanksVars::sample();
        assert_eq!(templates.render(&acme, &de_at, "thanks_subject", &vars).unwrap(), "Danke von ACME GmbH");
        assert!(templates
            .render(&other, &de_at, "thanks_subject", &vars)
            .unwrap()
            .starts_with("Vielen Dank"));
        std::fs::write(de.join("thanks_short.j2"), "{{ amount }}").unwrap();
        let error = ThanksTemplates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("acme/de/thanks_short.j2") && error.contains("`amount`"), "{error}");
    }
}
