//! The pay-page's HTML templates (minijinja, HTML auto-escaping): the shipped ones embedded in the
//! binary (`templates/*.html.j2`), and a tenant's own from `templates_dir`
//! (`<dir>/<tenant>/pay/<name>.html.j2`), each replacing the shipped template of that name for
//! that tenant only. Every template set is rendered once against sample pages when it is loaded
//! with strict undefined values, so a broken override stops the service at start, naming its
//! file, instead of showing a debtor an error.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The templates a pay-page is made of.
pub const NAMES: [&str; 4] = ["layout.html.j2", "pay.html.j2", "done.html.j2", "refused.html.j2"];

const SHIPPED: [(&str, &str); 4] = [
    ("layout.html.j2", include_str!("templates/layout.html.j2")),
    ("pay.html.j2", include_str!("templates/pay.html.j2")),
    ("done.html.j2", include_str!("templates/done.html.j2")),
    ("refused.html.j2", include_str!("templates/refused.html.j2")),
];

/// Why the pay-page templates cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PayTemplateError {
    #[error("templates_dir: reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("templates_dir: {path} is not one of the pay-page templates ({names})", names = NAMES.join(", "))]
    UnknownFile { path: PathBuf },
    #[error("pay-page template {template}: {reason}")]
    Invalid { template: String, reason: String },
}

/// The shipped template set and each tenant's.
pub struct PayTemplates {
    shipped: Environment<'static>,
    by_tenant: BTreeMap<String, Environment<'static>>,
}

impl PayTemplates {
    /// The shipped templates, and the overrides under `templates_dir` (`<tenant>/pay/*.html.j2`).
    pub fn load(templates_dir: Option<&Path>) -> Result<Self, PayTemplateError> {
        let shipped = environment(&[])?;
        let mut by_tenant = BTreeMap::new();
        if let Some(dir) = templates_dir {
            for (tenant, files) in tenant_files(dir)? {
                by_tenant.insert(tenant, environment(&files)?);
            }
        }
        Ok(Self { shipped, by_tenant })
    }

    /// Renders template `name` for `tenant` (its own if it has one).
    pub fn render(
        &self,
        tenant: Option<&str>,
        name: &str,
        context: &serde_json::Value,
    ) -> Result<String, minijinja::Error> {
        let env = tenant.and_then(|t| self.by_tenant.get(t)).unwrap_or(&self.shipped);
        env.get_template(name)?.render(context)
    }

    /// Each template set rendered against `samples` (template, context): the load-time check.
    pub fn check(&self, samples: &[(&str, serde_json::Value)]) -> Result<(), PayTemplateError> {
        let sets =
            std::iter::once((None, &self.shipped)).chain(self.by_tenant.iter().map(|(t, e)| (Some(t), e)));
        for (tenant, env) in sets {
            for (name, context) in samples {
                env.get_template(name).and_then(|template| template.render(context)).map_err(|e| {
                    PayTemplateError::Invalid {
                        template: match tenant {
                            Some(tenant) => format!("{tenant}/pay/{name}"),
                            None => (*name).to_owned(),
                        },
                        reason: format!("{e:#}"),
                    }
                })?;
            }
        }
        Ok(())
    }
}

/// A tenant's template read from its file.
struct TemplateFile {
    name: String,
    source: String,
    path: PathBuf,
}

/// An environment with the shipped templates, `overrides` over them.
fn environment(overrides: &[TemplateFile]) -> Result<Environment<'static>, PayTemplateError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in SHIPPED {
        env.add_template(name, source).map_err(|e| invalid(name, e))?;
    }
    for file in overrides {
        env.add_template_owned(file.name.clone(), file.source.clone())
            .map_err(|e| invalid(&file.path.display().to_string(), e))?;
    }
    Ok(env)
}

fn invalid(template: &str, error: minijinja::Error) -> PayTemplateError {
    PayTemplateError::Invalid { template: template.to_owned(), reason: format!("{error:#}") }
}

/// The templates of every `<dir>/<tenant>/pay/` folder, by tenant.
fn tenant_files(dir: &Path) -> Result<BTreeMap<String, Vec<TemplateFile>>, PayTemplateError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| PayTemplateError::Io { path, source }
    };
    let mut found = BTreeMap::new();
    let Ok(tenants) = std::fs::read_dir(dir) else {
        return Ok(found);
    };
    for tenant in tenants {
        let tenant = tenant.map_err(io(dir))?;
        let pay_dir = tenant.path().join("pay");
        if !pay_dir.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        for file in std::fs::read_dir(&pay_dir).map_err(io(&pay_dir))? {
            let path = file.map_err(io(&pay_dir))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if !NAMES.contains(&name.as_str()) {
                return Err(PayTemplateError::UnknownFile { path });
            }
            let source = std::fs::read_to_string(&path).map_err(io(&path))?;
            files.push(TemplateFile { name, source, path });
        }
        found.insert(tenant.file_name().to_string_lossy().into_owned(), files);
    }
    Ok(found)
}
