//! Fuzzing the template loader: arbitrary template sources (made of Jinja's own tokens, so that
//! most get past the lexer), shipped templates with a piece cut out or text inserted, and
//! arbitrary file names in a tenant's `templates_dir` never panic; every refusal names the
//! template (its file for a tenant's); a template that loads renders; valid ones still load.

use super::*;
use crate::fuzz;
use proptest::prelude::*;

fn empty() -> Templates {
    Templates { env: environment(), keys: BTreeSet::new(), whatsapp: BTreeMap::new(), attach_letter: false }
}

/// Jinja source from Jinja's tokens, the known variables, and a few unknown names.
fn jinja_source() -> impl Strategy<Value = String> {
    let mut tokens: Vec<&'static str> = vec![
        "{{ ",
        " }}",
        "{% ",
        " %}",
        "{# ",
        " #}",
        "if ",
        "elif ",
        "else",
        "endif",
        "for ",
        " in ",
        "endfor",
        "set ",
        " = ",
        "macro ",
        "endmacro",
        "include ",
        "extends ",
        "block ",
        "endblock",
        "raw",
        "endraw",
        "|",
        "upper",
        "default(",
        "length",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        "'",
        "\"",
        "x",
        "loop.index",
        "range(",
        "3",
        "-1",
        "+",
        "~",
        " and ",
        " not ",
        "none",
        "true",
        "\n",
        " ",
        "Sehr geehrte ",
        "€",
        "missing_variable",
        "debtor_name.x",
        "amount[0]",
        "stage / 0",
    ];
    tokens.extend(VARIABLES);
    proptest::collection::vec(proptest::sample::select(tokens), 0..40).prop_map(|parts| parts.concat())
}

fn check(name: &str, source: String) -> Result<(), TestCaseError> {
    let key = format!("acme/de/{name}.j2");
    let mut templates = empty();
    match templates.add(key.clone(), source, "de") {
        Ok(()) => {
            let found = Found { key: key.clone(), language: "de".into(), scope: "acme".into() };
            let rendered = templates.render(&found, &Vars::sample("de", Tone::Firm, 2));
            prop_assert!(rendered.is_ok(), "{key} loaded but does not render: {:?}", rendered.err());
        }
        Err(TemplateError::Invalid { template, reason }) => {
            prop_assert_eq!(&template, &key);
            prop_assert!(!reason.is_empty());
        }
        Err(TemplateError::UnknownVariable { template, variable }) => {
            prop_assert_eq!(&template, &key);
            prop_assert!(!VARIABLES.contains(&variable.as_str()), "{variable} is known");
        }
        Err(other) => return Err(TestCaseError::fail(format!("{key}: {other}"))),
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz::config(256))]

    #[test]
    fn arbitrary_sources_never_panic_and_name_the_template(
        source in prop_oneof![jinja_source(), fuzz::near_text(80), any::<String>()],
        name in proptest::sample::select(NAMES.to_vec()),
    ) {
        check(name, source)?;
    }

    #[test]
    fn shipped_templates_with_a_piece_cut_or_inserted_never_panic(
        shipped in proptest::sample::select(SHIPPED.to_vec()),
        start in 0usize..4_000,
        len in 0usize..32,
        insert in jinja_source(),
    ) {
        let (_, name, source) = shipped;
        let mut chars: Vec<char> = source.chars().collect();
        let start = start % (chars.len() + 1);
        let end = (start + len).min(chars.len());
        chars.splice(start..end, insert.chars());
        check(name, chars.into_iter().collect())?;
    }

    #[test]
    fn templates_of_known_variables_still_load(
        variables in proptest::collection::vec(proptest::sample::select(VARIABLES.to_vec()), 0..10),
        name in proptest::sample::select(NAMES.to_vec()),
    ) {
        let source: String = variables.iter().map(|v| format!("{{{{ {v} }}}} ")).collect();
        let mut templates = empty();
        let key = format!("acme/de/{name}.j2");
        let loaded = templates.add(key, source, "de");
        prop_assert!(loaded.is_ok(), "{:?}", loaded.err());
    }
}

proptest! {
    // Each case loads the shipped templates too: a few cases only.
    #![proptest_config(fuzz::config(12))]

    #[test]
    fn arbitrary_file_names_in_templates_dir_are_refused_naming_the_file(
        tenant in prop_oneof![Just("acme".to_owned()), Just(".hidden".to_owned()), "[a-zA-Z0-9 _-]{1,12}"],
        language in prop_oneof![Just("de".to_owned()), "[a-zA-Z_-]{1,8}"],
        file in prop_oneof![proptest::sample::select(NAMES.to_vec()).prop_map(|n| format!("{n}.j2")), "[a-z_.]{1,20}"],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(&tenant).join(&language);
        if std::fs::create_dir_all(&folder).is_err() {
            return Ok(());
        }
        if file.chars().all(|c| c == '.') || std::fs::write(folder.join(&file), "{{ debtor_name }}").is_err() {
            return Ok(());
        }
        match Templates::load(Some(dir.path()), BTreeMap::new()) {
            Ok(_) => prop_assert!(is_template_file(&file) || tenant.starts_with('.')),
            Err(TemplateError::UnknownFile { path }) => prop_assert!(path.starts_with(dir.path())),
            Err(other) => return Err(TestCaseError::fail(other.to_string())),
        }
    }
}
