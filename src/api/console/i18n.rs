//! The console's two languages, English and German. A page is in the language the operator asks
//! for with `?lang=de|en` (remembered in a cookie for the pages that follow), else the first of
//! their browser's `Accept-Language` that the console speaks, else English. Every text of the
//! pages is one entry of [`TEXTS`], in both languages, so a page cannot be half translated.

use axum::http::{header, HeaderMap};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The cookie that remembers a language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "mahnwerk_console_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        let primary = raw.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            _ => None,
        }
    }

    /// The language of a page: `query` (`?lang=`), else the cookie, else `Accept-Language`.
    pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Self {
        query
            .and_then(Self::parse)
            .or_else(|| cookie(headers).and_then(|c| Self::parse(&c)))
            .or_else(|| accepted(headers))
            .unwrap_or(Self::En)
    }

    /// Every text of the pages in this language, by key.
    pub fn texts(self) -> &'static BTreeMap<&'static str, &'static str> {
        static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
        static DE: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
        match self {
            Self::En => EN.get_or_init(|| TEXTS.iter().map(|(key, en, _)| (*key, *en)).collect()),
            Self::De => DE.get_or_init(|| TEXTS.iter().map(|(key, _, de)| (*key, *de)).collect()),
        }
    }

    /// One text by key (the key itself should it be missing, which a test rules out).
    pub fn text(self, key: &'static str) -> &'static str {
        self.texts().get(key).copied().unwrap_or(key)
    }
}

/// The language remembered in the cookie, if any.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        line.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == LANG_COOKIE).then(|| value.to_owned())
        })
    })
}

/// The spoken language the browser prefers most (highest `q`, then first listed).
fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let raw = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(f32, Lang)> = None;
    for item in raw.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else { continue };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(top, _)| q > top) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// Key, English, German.
const TEXTS: &[(&str, &str, &str)] = &[
    ("console", "mahnwerk console", "mahnwerk Konsole"),
    ("log_out", "Log out", "Abmelden"),
    ("overview", "Overview", "Übersicht"),
    ("cases", "Cases", "Fälle"),
    ("log_in", "Log in", "Anmelden"),
    ("tenant", "Tenant", "Mandant"),
    ("email", "Email", "E-Mail"),
    ("password", "Password", "Passwort"),
    ("search", "Search", "Suche"),
    ("search_hint", "invoice number, debtor", "Rechnungsnummer, Schuldner"),
    ("state", "State", "Status"),
    ("any", "any", "alle"),
    ("filter", "Filter", "Filtern"),
    ("invoice", "Invoice", "Rechnung"),
    ("debtor", "Debtor", "Schuldner"),
    ("stage", "Stage", "Stufe"),
    ("amount_due", "Amount due", "Forderung"),
    ("due_on", "Due on", "Fällig am"),
    ("default_on", "In default since", "In Verzug seit"),
    ("not_in_default", "not fixed yet", "noch nicht festgestellt"),
    ("ground_calendar_date", "calendar due date, § 286 (2) no. 1 BGB", "kalendermäßige Fälligkeit, § 286 Abs. 2 Nr. 1 BGB"),
    ("ground_reminder", "reminder after the due date, § 286 (1) BGB", "Mahnung nach Fälligkeit, § 286 Abs. 1 BGB"),
    ("ground_thirty_days", "30 days after due date and invoice, § 286 (3) BGB", "30 Tage nach Fälligkeit und Rechnung, § 286 Abs. 3 BGB"),
    ("no_cases", "No cases match.", "Keine passenden Fälle."),
    ("next_page", "Next page", "Nächste Seite"),
    ("all_cases", "All cases", "Alle Fälle"),
    ("paid", "paid", "bezahlt"),
    ("plan", "Plan", "Mahnplan"),
    ("stages_planned", "stage(s) planned", "Stufe(n) geplant"),
    ("plans", "Plans", "Mahnpläne"),
    ("plans_what", "The dunning plans your invoices can follow. Preview any stage: the reminder is rendered for a sample case (Erika Mustermann, invoice RE-2026-0042) with your templates, as it would be sent.", "Die Mahnpläne, denen Ihre Rechnungen folgen können. Jede Stufe lässt sich als Vorschau ansehen: die Mahnung wird für einen Beispielfall (Erika Mustermann, Rechnung RE-2026-0042) mit Ihren Vorlagen erstellt, wie sie versandt würde."),
    ("own_plan", "your own", "Ihr eigener"),
    ("stage_name", "Name", "Bezeichnung"),
    ("when", "When", "Wann"),
    ("channels", "Channels", "Kanäle"),
    ("fallback", "If none reaches the debtor", "Falls keiner den Schuldner erreicht"),
    ("tone", "Tone", "Ton"),
    ("fee", "Fee", "Gebühr"),
    ("no_fee", "no fee", "keine Gebühr"),
    ("fee_of", "{n} per reminder, in the invoice's currency, from default on (capped by law)", "{n} je Mahnung, in der Rechnungswährung, ab Verzug (gesetzlich gedeckelt)"),
    ("tone_friendly", "friendly", "freundlich"),
    ("tone_neutral", "neutral", "sachlich"),
    ("tone_firm", "firm", "bestimmt"),
    ("wait_first", "{n} days after the invoice is handed over", "{n} Tage nach Übergabe der Rechnung"),
    ("wait_next", "{n} days after the previous reminder", "{n} Tage nach der vorigen Mahnung"),
    ("escalation_after", "Unpaid {n} days after the last reminder: escalated.", "{n} Tage nach der letzten Mahnung unbezahlt: Eskalation."),
    ("default_consumer", "Default for consumers", "Standard für Verbraucher"),
    ("default_business", "Default for businesses", "Standard für Unternehmen"),
    ("debtor_language", "Debtor's language", "Sprache des Schuldners"),
    ("preview", "Preview", "Vorschau"),
    ("subject", "Subject", "Betreff"),
    ("text_part", "Plain-text part", "Textfassung"),
    ("letter_pdf", "The letter as PDF", "Der Brief als PDF"),
    ("pause", "Pause dunning", "Mahnung pausieren"),
    ("resume", "Resume dunning", "Mahnung fortsetzen"),
    ("escalate", "Escalate now…", "Jetzt eskalieren…"),
    ("escalate_what", "The case is handed over to collection as when its plan runs out: reminders still to go out are cancelled and the claim statement is drawn up.", "Der Fall geht an das Inkasso, als wäre sein Mahnplan durchlaufen: noch ausstehende Mahnungen entfallen, die Forderungsaufstellung wird erstellt."),
    ("escalate_confirm", "Confirm: escalate", "Bestätigen: eskalieren"),
    ("resend", "Resend a reminder…", "Mahnung erneut senden…"),
    ("resend_what", "A new reminder of the current stage, on a channel its plan allows and the debtor has not opted out of, at the next allowed hour.", "Eine neue Mahnung der aktuellen Stufe, auf einem Kanal, den der Mahnplan erlaubt und dem der Schuldner nicht widersprochen hat, zur nächsten erlaubten Stunde."),
    ("channel", "Channel", "Kanal"),
    ("resend_confirm", "Confirm: resend", "Bestätigen: erneut senden"),
    ("switch_plan", "Switch plan…", "Mahnplan wechseln…"),
    ("switch_plan_what", "From its next stage on the case follows the chosen plan; reminders still to go out are planned anew under it.", "Ab der nächsten Stufe folgt der Fall dem gewählten Mahnplan; noch ausstehende Mahnungen werden danach neu geplant."),
    ("switch_plan_confirm", "Confirm: switch plan", "Bestätigen: Mahnplan wechseln"),
    ("dispute", "Mark disputed…", "Als bestritten markieren…"),
    ("dispute_what", "The debtor contests the claim: no reminder goes out until the dispute is resolved.", "Der Schuldner bestreitet die Forderung: bis zur Klärung geht keine Mahnung hinaus."),
    ("reason", "Reason", "Grund"),
    ("details", "Details", "Einzelheiten"),
    ("dispute_confirm", "Confirm: mark disputed", "Bestätigen: als bestritten markieren"),
    ("resolve", "Resolve the dispute…", "Streitfall klären…"),
    ("resolve_what", "The claim stands (dunning resumes at once) or is withdrawn (the case is cancelled).", "Die Forderung bleibt bestehen (das Mahnen geht sofort weiter) oder wird zurückgenommen (der Fall wird storniert)."),
    ("resolution", "Resolution", "Ergebnis"),
    ("note", "Note", "Notiz"),
    ("resolve_confirm", "Confirm: resolve", "Bestätigen: klären"),
    ("reschedule", "Reschedule the next reminder…", "Nächste Mahnung verschieben…"),
    ("reschedule_what", "Reminders still to go out are withdrawn; the next stage is planned anew at the chosen time at the earliest, within the debtor's allowed hours.", "Noch ausstehende Mahnungen werden zurückgezogen; die nächste Stufe wird frühestens zum gewählten Zeitpunkt neu geplant, innerhalb der erlaubten Stunden des Schuldners."),
    ("reschedule_at", "Not before (UTC)", "Nicht vor (UTC)"),
    ("reschedule_confirm", "Confirm: reschedule", "Bestätigen: verschieben"),
    ("credit", "Credit or write off…", "Gutschreiben oder abschreiben…"),
    ("credit_what", "Reduces what is open like a payment without money; when it covers all that is open, the case is closed as paid.", "Mindert den offenen Betrag wie eine Zahlung ohne Geld; deckt sie alles Offene, wird der Fall als bezahlt geschlossen."),
    ("credit_kind", "Kind", "Art"),
    ("amount", "Amount", "Betrag"),
    ("amount_all", "all that is open", "alles Offene"),
    ("reference", "Reference", "Referenz"),
    ("credit_confirm", "Confirm: book it", "Bestätigen: buchen"),
    ("cancel", "Cancel the case…", "Fall stornieren…"),
    ("cancel_what", "The case is closed as when the creditor cancels the invoice: nothing more goes out. This cannot be undone.", "Der Fall wird geschlossen, als hätte der Gläubiger die Rechnung storniert: es geht nichts mehr hinaus. Das lässt sich nicht rückgängig machen."),
    ("cancel_confirm", "Confirm: cancel the case", "Bestätigen: Fall stornieren"),
    ("contact", "Correct the debtor's contact data…", "Kontaktdaten des Schuldners korrigieren…"),
    ("contact_what", "Saved as shown, for all of the debtor's cases: an emptied field is cleared. Consents are not changed.", "Wird wie angezeigt gespeichert, für alle Fälle des Schuldners: ein geleertes Feld wird gelöscht. Einwilligungen bleiben unverändert."),
    ("mobile", "Mobile phone", "Mobiltelefon"),
    ("messenger_id", "Messenger id", "Messenger-ID"),
    ("contact_confirm", "Confirm: save contact data", "Bestätigen: Kontaktdaten speichern"),
    ("timeline", "Timeline", "Verlauf"),
    ("when_utc", "When (UTC)", "Wann (UTC)"),
    ("what", "What", "Was"),
    ("not_done", "Not done", "Nicht ausgeführt"),
    ("done_pause", "Dunning is paused for this case.", "Das Mahnen ist für diesen Fall pausiert."),
    ("done_resume", "Dunning is resumed for this case.", "Das Mahnen ist für diesen Fall fortgesetzt."),
    ("done_escalate", "The case is escalated: handed over to collection.", "Der Fall ist eskaliert: an das Inkasso übergeben."),
    ("done_resend", "A reminder of the current stage is planned on the chosen channel.", "Eine Mahnung der aktuellen Stufe ist auf dem gewählten Kanal geplant."),
    ("done_plan", "The case follows the chosen plan from its next stage on.", "Der Fall folgt ab der nächsten Stufe dem gewählten Mahnplan."),
    ("done_dispute", "The case is marked disputed: no reminder goes out until it is resolved.", "Der Fall ist als bestritten markiert: bis zur Klärung geht keine Mahnung hinaus."),
    ("done_resolve", "The dispute is resolved.", "Der Streitfall ist geklärt."),
    ("done_cancel", "The case is cancelled.", "Der Fall ist storniert."),
    ("done_reschedule", "The next reminder is rescheduled.", "Die nächste Mahnung ist verschoben."),
    ("done_credit", "The credit is booked.", "Die Gutschrift ist gebucht."),
    ("done_contact", "The debtor's contact data are saved.", "Die Kontaktdaten des Schuldners sind gespeichert."),
    ("open_amount", "Open amount", "Offener Betrag"),
    ("collected_this_month", "Collected this month", "Eingegangen in diesem Monat"),
    ("figures_as_of", "Figures as of", "Zahlen mit Stand"),
    ("open_cases", "Open cases", "Offene Fälle"),
    ("dso", "DSO", "DSO (Forderungslaufzeit)"),
    ("days", "days", "Tage"),
    ("cases_by_state", "Cases by state", "Fälle nach Status"),
    ("channel_mix", "Channel mix: reminders sent", "Kanalmix: versandte Mahnungen"),
    ("dso_trend", "DSO per month (days, last 12 months)", "DSO je Monat (Tage, letzte 12 Monate)"),
    ("open_and_collected", "Open and collected this month", "Offen und in diesem Monat eingegangen"),
    ("open_short", "open", "offen"),
    ("collected_short", "collected", "eingegangen"),
    ("learner", "Learner's model", "Modell des Lernverfahrens"),
    ("wrong_login", "Wrong tenant, email or password.", "Mandant, E-Mail oder Passwort falsch."),
    ("too_many_logins", "Too many failed logins for this account; try again later.", "Zu viele fehlgeschlagene Anmeldungen für dieses Konto; bitte später erneut versuchen."),
    ("language", "Deutsch", "English"),
    ("debtor_number", "Customer number", "Kundennummer"),
    ("debtor_kind", "Kind", "Art"),
    ("contact_person", "contact person", "Ansprechpartner"),
    ("address", "Address", "Anschrift"),
    ("debtor_language_zone", "Language, time zone", "Sprache, Zeitzone"),
    ("consents", "Consent per channel", "Einwilligungen je Kanal"),
    ("may_remind", "Reminders allowed", "Mahnungen erlaubt"),
    ("consent_in_force", "Consent in force", "Geltende Erklärung"),
    ("since", "since", "seit"),
    ("no_consent_recorded", "none recorded", "keine erfasst"),
    ("debtor_cases", "The debtor's cases", "Fälle des Schuldners"),
    ("marketing_consents", "Marketing consent per channel", "Werbeeinwilligung je Kanal"),
    ("marketing_consent_in_force", "Marketing consent in force", "Geltende Erklärung zur Werbung"),
    ("may_advertise", "Advertising allowed", "Werbung erlaubt"),
    ("marketing_what", "Thank-you messages after a payment may carry product recommendations only where this allows it.", "Dankesnachrichten nach einer Zahlung dürfen Produktempfehlungen nur enthalten, wo dies es erlaubt."),
    ("gdpr_export", "Everything stored about the debtor (GDPR, JSON download)", "Alle gespeicherten Daten zum Schuldner (DSGVO, JSON-Download)"),
    ("audit_of_debtor", "Audit log of this debtor", "Prüfprotokoll dieses Schuldners"),
    ("audit_of_case", "Audit log of this case", "Prüfprotokoll dieses Falls"),
    ("stop", "Mahnstopp: stop dunning this debtor…", "Mahnstopp für diesen Schuldner…"),
    ("stop_what", "Every case of this debtor that is still being reminded is paused at once; reminders still to go out are withdrawn. Closed, disputed and escalated cases stay as they are. Lifting the Mahnstopp resumes them; each case can also be resumed on its own page.", "Jeder Fall dieses Schuldners, der noch gemahnt wird, wird sofort pausiert; noch ausstehende Mahnungen werden zurückgezogen. Geschlossene, bestrittene und eskalierte Fälle bleiben, wie sie sind. Das Aufheben des Mahnstopps setzt sie fort; jeder Fall lässt sich auch auf seiner Seite fortsetzen."),
    ("stop_confirm", "Confirm: Mahnstopp", "Bestätigen: Mahnstopp"),
    ("done_stop", "Mahnstopp: the debtor's cases that were being reminded are paused.", "Mahnstopp: die Fälle des Schuldners, die gemahnt wurden, sind pausiert."),
    ("stop_title", "Mahnstopp", "Mahnstopp"),
    ("stopped_on", "on", "am"),
    ("by", "by", "durch"),
    ("cases_paused", "Cases paused", "Pausierte Fälle"),
    ("none_paused", "none (no case was being reminded)", "keine (kein Fall wurde gemahnt)"),
    ("none", "none", "keine"),
    ("lift_stop", "Lift the Mahnstopp…", "Mahnstopp aufheben…"),
    ("lift_stop_what", "The cases this Mahnstopp paused are resumed and dunned again from their next stage, at once. Cases paid, cancelled or disputed since, and cases an operator paused again on their own page, stay as they are.", "Die Fälle, die dieser Mahnstopp pausiert hat, werden fortgesetzt und ab ihrer nächsten Stufe sofort wieder gemahnt. Seitdem bezahlte, stornierte oder bestrittene Fälle und Fälle, die ein Bearbeiter auf ihrer Seite erneut pausiert hat, bleiben, wie sie sind."),
    ("lift_stop_confirm", "Confirm: lift the Mahnstopp", "Bestätigen: Mahnstopp aufheben"),
    ("done_lift_stop", "Mahnstopp lifted: the cases it paused are being reminded again.", "Mahnstopp aufgehoben: die pausierten Fälle werden wieder gemahnt."),
    ("stop_lifted", "lifted", "aufgehoben"),
    ("cases_resumed", "Cases resumed", "Fortgesetzte Fälle"),
    ("none_resumed", "none (the Mahnstopp held no case any more)", "keine (der Mahnstopp hielt keinen Fall mehr)"),
    ("api_key", "API key", "API-Schlüssel"),
    ("super_admin", "super-admin", "Super-Admin"),
    ("audit_log", "Audit log", "Prüfprotokoll"),
    ("who", "Who", "Wer"),
    ("action", "Action", "Aktion"),
    ("concerns", "Concerns", "Betrifft"),
    ("before_after", "Before → after", "Vorher → nachher"),
    ("case_number", "Case no.", "Fall-Nr."),
    ("all_entries", "All entries", "Alle Einträge"),
    ("no_entries", "No entries match.", "Keine passenden Einträge."),
    ("filter_not_applied", "Filter not applied", "Filter nicht angewandt"),
    ("choose_tenant", "Choose a tenant", "Mandant wählen"),
    ("super_admin_as", "Logged in as the installation's super-admin", "Angemeldet als Super-Admin der Installation"),
    ("choose_tenant_what", "Choose the tenant to act for: you then work as its admin, and every change is recorded in its audit log under your email, marked as the super-admin's.", "Wählen Sie den Mandanten, für den Sie handeln: Sie arbeiten dann als sein Administrator, und jede Änderung steht unter Ihrer E-Mail, als die des Super-Admins gekennzeichnet, in seinem Prüfprotokoll."),
    ("acting_for", "Acting for", "Handelt für"),
    ("act_for", "Act for", "Handeln für"),
    ("no_tenants", "No tenant has cases or operators yet.", "Noch kein Mandant hat Fälle oder Bearbeiter."),
    ("no_such_tenant", "not one of the tenants listed", "keiner der aufgeführten Mandanten"),
    ("switch_tenant", "Switch tenant", "Mandant wechseln"),
    ("tenant_empty_for_super_admin", "Leave the tenant empty to log in as the installation's super-admin.", "Als Super-Admin der Installation den Mandanten leer lassen."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(accept: Option<&str>, cookie: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        }
        if let Some(cookie) = cookie {
            headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        headers
    }

    #[test]
    fn the_query_wins_then_the_cookie_then_the_browser() {
        let de_browser = headers(Some("de-DE,de;q=0.9,en;q=0.8"), None);
        assert_eq!(Lang::choose(None, &de_browser), Lang::De);
        assert_eq!(Lang::choose(Some("en"), &de_browser), Lang::En);
        let remembered = headers(Some("de"), Some(&format!("session=x; {LANG_COOKIE}=en")));
        assert_eq!(Lang::choose(None, &remembered), Lang::En);
        assert_eq!(Lang::choose(Some("fr"), &headers(Some("fr-FR, en;q=0.5, de;q=0.7"), None)), Lang::De);
        assert_eq!(Lang::choose(None, &headers(Some("fr, it"), None)), Lang::En, "neither: English");
        assert_eq!(Lang::choose(None, &headers(Some("de;q=0, en"), None)), Lang::En, "q=0 refuses");
        assert_eq!(Lang::choose(None, &HeaderMap::new()), Lang::En);
    }

    #[test]
    fn every_text_a_template_uses_exists() {
        let templates = [
            include_str!("templates/layout.html.j2"),
            include_str!("templates/login.html.j2"),
            include_str!("templates/cases.html.j2"),
            include_str!("templates/case.html.j2"),
            include_str!("templates/overview.html.j2"),
            include_str!("templates/debtor.html.j2"),
            include_str!("templates/audit.html.j2"),
            include_str!("templates/plans.html.j2"),
            include_str!("templates/tenants.html.j2"),
        ];
        let mut used = 0;
        for source in templates {
            for rest in source.split("{{ t.").skip(1) {
                let key: String =
                    rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(
                    Lang::En.texts().contains_key(key.as_str()),
                    "the templates use {key}, which has no text"
                );
                used += 1;
            }
        }
        assert!(used > 50, "{used} texts used");
    }

    #[test]
    fn every_text_is_in_both_languages_once() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, en, de) in TEXTS {
            assert!(keys.insert(key), "{key} twice");
            assert!(!en.is_empty() && !de.is_empty(), "{key}");
        }
        assert_eq!(Lang::De.text("cases"), "Fälle");
    }
}
