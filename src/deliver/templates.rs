//! The reminder templates (minijinja): the shipped ones embedded in the binary
//! (`src/deliver/templates/<language>/<name>.j2`), and a tenant's own from `templates_dir`
//! (`<dir>/<tenant>/<language>/<name>.j2`, or `<name>.<tone>.j2` for one tone only).
//!
//! Every template is checked when it is loaded: syntax, every variable it reads against
//! [`VARIABLES`] (a misspelt name is an error naming the template and the variable), and one
//! render per tone against a complete sample with strict undefined values. A template that loads
//! therefore cannot leave a blank in a reminder.
//!
//! Lookup for a debtor's language tag (`de-AT`) tries `de-AT`, `de`, then `en`; within one
//! language the tenant's tone-specific template, the tenant's template, then the shipped one.
//! So a debtor always reads their own language if anyone wrote it, and a tenant's text wins over
//! the shipped text in that language.

use super::render::Vars;
use crate::domain::{Language, TenantId, Tone};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The templates a reminder is made of. `email_html` is optional for a tenant: without it the
/// email goes out as plain text. An instalment reminder is `instalment_subject` (the email's and
/// the letter's subject), `instalment_sms` (short, in the GSM alphabet) and `instalment` (the
/// text on every other channel).
pub const NAMES: [&str; 10] = [
    "email_subject",
    "email_text",
    "email_html",
    "sms",
    "chat",
    "letter_subject",
    "letter_body",
    "instalment_subject",
    "instalment",
    "instalment_sms",
];

/// The variables a template may read (all strings but `stage`, a number from 1, `instalment` and
/// `instalments`, numbers (0 on a stage's reminder), and the flags `has_fee`, `has_breakdown`,
/// `instalment_due_today` and `instalment_overdue`).
pub const VARIABLES: [&str; 28] = [
    "debtor_name",
    "salutation",
    "creditor_name",
    "creditor_email",
    "creditor_phone",
    "contact",
    "invoice_number",
    "amount",
    "principal",
    "fee",
    "has_fee",
    "breakdown",
    "has_breakdown",
    "due_date",
    "today",
    "pay_link",
    "unsubscribe_link",
    "stage",
    "stage_name",
    "tone",
    "instalment",
    "instalments",
    "instalment_amount",
    "instalment_due_date",
    "instalment_due_today",
    "instalment_overdue",
    "deadline",
    "final_notice",
];

const TONES: [Tone; 3] = [Tone::Friendly, Tone::Neutral, Tone::Firm];

macro_rules! shipped {
    ($($lang:literal: [$($name:literal),*]),* $(,)?) => {
        &[$($(($lang, $name, include_str!(concat!("templates/", $lang, "/", $name, ".j2"))),)*)*]
    };
}

/// (language, name, source) of every shipped template.
const SHIPPED: &[(&str, &str, &str)] = shipped! {
    "en": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "de": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "fr": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "es": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "it": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "nl": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "pl": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
    "tr": ["email_subject", "email_text", "email_html", "sms", "chat", "letter_subject", "letter_body", "instalment_subject", "instalment", "instalment_sms"],
};

/// Why the templates cannot be loaded. Each names the template (its file for a tenant's).
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("templates_dir: reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("templates_dir: {path} is not <tenant>/<language>/<name>[.<tone>].j2 with <name> one of {names}", names = NAMES.join(", "))]
    UnknownFile { path: PathBuf },
    #[error("template {template}: unknown variable `{variable}` (known: {known})", known = VARIABLES.join(", "))]
    UnknownVariable { template: String, variable: String },
    #[error("template {template}: {reason}")]
    Invalid { template: String, reason: String },
}

/// Where a template came from, for choosing the email's HTML part from the same place as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The key in the environment.
    pub key: String,
    /// The language it is written in: amounts and dates are formatted for it.
    pub language: String,
    scope: String,
}

/// The loaded templates, and the approved WhatsApp template names per tenant and stage.
pub struct Templates {
    env: Environment<'static>,
    keys: BTreeSet<String>,
    whatsapp: BTreeMap<String, BTreeMap<String, String>>,
    /// Reminder emails carry the letter's PDF (`[email] attach_letter`).
    pub(super) attach_letter: bool,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("templates", &self.keys.len()).finish_non_exhaustive()
    }
}

impl Templates {
    /// The shipped templates with the configuration's `templates_dir` over them, each checked
    /// against a sample.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        Ok(Self::load(config.templates_dir.as_deref(), config.whatsapp_templates.clone())
            .context("loading the reminder templates")?
            .with_letter_attachment(config.email.attach_letter))
    }

    /// The shipped templates only.
    pub fn shipped() -> Result<Self, TemplateError> {
        Self::load(None, BTreeMap::new())
    }

    /// The shipped templates, a tenant's from `dir` over them, and the WhatsApp template names
    /// (`whatsapp[tenant][stage name or "*"]`; default `payment_reminder_<tone>`).
    pub fn load(
        dir: Option<&Path>,
        whatsapp: BTreeMap<String, BTreeMap<String, String>>,
    ) -> Result<Self, TemplateError> {
        let mut templates =
            Self { env: environment(), keys: BTreeSet::new(), whatsapp, attach_letter: false };
        for (language, name, source) in SHIPPED {
            templates.add(format!("shipped:{language}/{name}.j2"), (*source).to_owned(), language)?;
        }
        if let Some(dir) = dir {
            for (relative, source) in read_overrides(dir)? {
                let language = relative.split('/').nth(1).unwrap_or("en").to_owned();
                templates.add(relative, source, &language)?;
            }
        }
        Ok(templates)
    }

    /// Attaches to every reminder email the PDF letter the letter channel would print for the
    /// same reminder (`[email] attach_letter`; default off).
    pub fn with_letter_attachment(mut self, attach: bool) -> Self {
        self.attach_letter = attach;
        self
    }

    fn add(&mut self, key: String, source: String, language: &str) -> Result<(), TemplateError> {
        self.env.add_template_owned(key.clone(), source).map_err(|e| invalid(&key, &e))?;
        match check(&self.env, &key, language) {
            Ok(()) => {}
            Err(Problem::Minijinja(e)) => return Err(invalid(&key, &e)),
            Err(Problem::UnknownVariable(variable)) => {
                return Err(TemplateError::UnknownVariable { template: key, variable })
            }
        }
        self.keys.insert(key);
        Ok(())
    }

    /// The template `name` for a debtor of `tenant` speaking `language`, in `tone`.
    pub fn find(&self, tenant: &TenantId, language: &Language, name: &str, tone: Tone) -> Option<Found> {
        let tag = language.to_string();
        let mut languages = vec![tag.as_str(), language.primary(), "en"];
        languages.dedup();
        let tenant_scope = tenant.as_str().to_owned();
        languages.into_iter().find_map(|lang| {
            [&tenant_scope, "shipped:"].into_iter().find_map(|scope| self.in_scope(scope, lang, name, tone))
        })
    }

    /// The template `name` in exactly the scope and language of `found` (the HTML part beside the
    /// text part that was found).
    pub fn beside(&self, found: &Found, name: &str, tone: Tone) -> Option<Found> {
        self.in_scope(&found.scope, &found.language, name, tone)
    }

    fn in_scope(&self, scope: &str, language: &str, name: &str, tone: Tone) -> Option<Found> {
        let prefix = if scope.ends_with(':') { scope.to_owned() } else { format!("{scope}/") };
        [format!("{prefix}{language}/{name}.{}.j2", tone.as_str()), format!("{prefix}{language}/{name}.j2")]
            .into_iter()
            .find(|key| self.keys.contains(key))
            .map(|key| Found { key, language: language.to_owned(), scope: scope.to_owned() })
    }

    /// Renders a found template.
    pub fn render(&self, found: &Found, vars: &Vars) -> Result<String, TemplateError> {
        let invalid = |e: minijinja::Error| TemplateError::Invalid {
            template: found.key.clone(),
            reason: describe(&e),
        };
        self.env.get_template(&found.key).map_err(invalid)?.render(vars).map_err(invalid)
    }

    /// The approved WhatsApp template for a stage of `tenant`'s plan.
    pub fn whatsapp_template(&self, tenant: &TenantId, stage_name: &str, tone: Tone) -> String {
        let configured = self.whatsapp.get(tenant.as_str());
        configured
            .and_then(|names| names.get(stage_name).or_else(|| names.get("*")))
            .cloned()
            .unwrap_or_else(|| format!("payment_reminder_{}", tone.as_str()))
    }
}

/// Why a template that parsed is refused.
enum Problem {
    Minijinja(minijinja::Error),
    UnknownVariable(String),
}

fn invalid(key: &str, error: &minijinja::Error) -> TemplateError {
    TemplateError::Invalid { template: key.to_owned(), reason: describe(error) }
}

/// What loading checks of the template `key` in `env`: every variable it reads is one of
/// [`VARIABLES`], and it renders for every tone against a complete sample and one without the
/// optional values, with strict undefined values.
fn check(env: &Environment<'static>, key: &str, language: &str) -> Result<(), Problem> {
    let template = env.get_template(key).map_err(Problem::Minijinja)?;
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !VARIABLES.contains(&v.as_str()))
        .collect();
    unknown.sort();
    if let Some(variable) = unknown.into_iter().next() {
        return Err(Problem::UnknownVariable(variable));
    }
    for tone in TONES {
        for vars in [Vars::sample(language, tone, 1), Vars::sample_without_extras(language, tone, 3)] {
            template.render(&vars).map_err(Problem::Minijinja)?;
        }
    }
    Ok(())
}

/// A template source that would not load, and where minijinja found the error (line and column
/// from 1, when it says).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SourceError {
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Checks `source` as the template `name` (one of [`NAMES`]) of a tenant writing in `language`,
/// exactly as loading it from `templates_dir` would, and keeps nothing: what a creditor runs
/// before putting a template in place.
pub fn check_source(name: &str, language: &Language, source: &str) -> Result<(), SourceError> {
    if !NAMES.contains(&name) {
        let reason = format!("'{name}' is not a template name (one of {})", NAMES.join(", "));
        return Err(SourceError { reason, line: None, column: None });
    }
    let mut env = environment();
    let key = format!("{language}/{name}.j2");
    let located = |error: minijinja::Error| {
        let column = error.range().map(|range| {
            let before = source.get(..range.start).unwrap_or(source);
            before.rsplit('\n').next().unwrap_or_default().chars().count() + 1
        });
        SourceError { reason: describe(&error), line: error.line(), column }
    };
    env.add_template_owned(key.clone(), source.to_owned()).map_err(located)?;
    match check(&env, &key, language.as_ref()) {
        Ok(()) => Ok(()),
        Err(Problem::Minijinja(error)) => Err(located(error)),
        Err(Problem::UnknownVariable(variable)) => Err(SourceError {
            reason: format!("unknown variable `{variable}` (known: {})", VARIABLES.join(", ")),
            line: None,
            column: None,
        }),
    }
}

/// An empty environment with the templates' rules: strict undefined values, trimmed blocks,
/// HTML escaping in `email_html` only.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_auto_escape_callback(|name| {
        let file = name.rsplit('/').next().unwrap_or(name);
        if file.starts_with("email_html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(html_formatter);
    env
}

/// minijinja's own escaping, except that in HTML a string keeps its `/`: links stay readable in
/// `href`s and in the source a spam filter or a curious debtor looks at. `& < > " '` are escaped.
pub fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() => {
            for c in text.chars() {
                let written = match c {
                    '&' => out.write_str("&amp;"),
                    '<' => out.write_str("&lt;"),
                    '>' => out.write_str("&gt;"),
                    '"' => out.write_str("&quot;"),
                    '\'' => out.write_str("&#39;"),
                    c => out.write_char(c),
                };
                written.map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "writing the template")
                })?;
            }
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// minijinja's message with its detail (which names an undefined value and where).
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.to_string();
    if let Some(detail) = error.detail() {
        if !text.contains(detail) {
            text = format!("{text}: {detail}");
        }
    }
    text
}

/// `<tenant>/<language>/<name>[.<tone>].j2` below `dir`, each with its source.
fn read_overrides(dir: &Path) -> Result<Vec<(String, String)>, TemplateError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| TemplateError::Io { path, source }
    };
    let mut found = Vec::new();
    let mut tenants: Vec<_> =
        std::fs::read_dir(dir).map_err(io(dir))?.collect::<Result<_, _>>().map_err(io(dir))?;
    tenants.sort_by_key(|e| e.file_name());
    for tenant in tenants {
        let tenant_path = tenant.path();
        let tenant_name = tenant.file_name().to_string_lossy().into_owned();
        if tenant_name.starts_with('.') {
            continue;
        }
        if !tenant_path.is_dir() || TenantId::parse(&tenant_name).is_err() {
            return Err(TemplateError::UnknownFile { path: tenant_path });
        }
        let mut languages: Vec<_> = std::fs::read_dir(&tenant_path)
            .map_err(io(&tenant_path))?
            .collect::<Result<_, _>>()
            .map_err(io(&tenant_path))?;
        languages.sort_by_key(|e| e.file_name());
        for language in languages {
            let language_path = language.path();
            let language_name = language.file_name().to_string_lossy().into_owned();
            if !language_path.is_dir() || Language::parse(&language_name).is_err() {
                return Err(TemplateError::UnknownFile { path: language_path });
            }
            let mut files: Vec<_> = std::fs::read_dir(&language_path)
                .map_err(io(&language_path))?
                .collect::<Result<_, _>>()
                .map_err(io(&language_path))?;
            files.sort_by_key(|e| e.file_name());
            for file in files {
                let path = file.path();
                let file_name = file.file_name().to_string_lossy().into_owned();
                // The thank-you message's templates live beside a tenant's reminder templates;
                // their own loader reads and checks them (`crate::hooks::thanks::templates`).
                if file_name.starts_with("thanks_") {
                    continue;
                }
                if !is_template_file(&file_name) {
                    return Err(TemplateError::UnknownFile { path });
                }
                let source = std::fs::read_to_string(&path).map_err(io(&path))?;
                found.push((format!("{tenant_name}/{language_name}/{file_name}"), source));
            }
        }
    }
    Ok(found)
}

fn is_template_file(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".j2") else { return false };
    let (name, tone) = match stem.split_once('.') {
        Some((name, tone)) => (name, Some(tone)),
        None => (stem, None),
    };
    NAMES.contains(&name) && tone.is_none_or(|t| TONES.iter().any(|tone| tone.as_str() == t))
}

#[cfg(test)]
#[path = "templates_fuzz.rs"]
mod fuzz;
