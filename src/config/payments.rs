//! `[payments.csv]`: how a bank's CSV export is laid out, for `mahnwerk payments import`.
//! The defaults read a German online-banking export (semicolon, decimal comma, `31.12.2026`);
//! every setting can also be given on the command line.

use serde::Deserialize;

/// `[payments]`: the bank statement import.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    pub csv: CsvLayout,
}

/// The columns and formats of a CSV bank export. Columns are found by their header's name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsvLayout {
    /// Field separator. Default `;`.
    pub delimiter: char,
    /// Lines before the header row (a bank's title and account lines). Default 0.
    pub skip_lines: usize,
    /// chrono format of the booking date. Default `%d.%m.%Y`.
    pub date_format: String,
    /// `1.234,56` (true, the default) or `1,234.56` (false).
    pub decimal_comma: bool,
    /// Booking date column. Default `Buchungstag`.
    pub date: String,
    /// Amount column; credits positive, debits negative (skipped). Default `Betrag`.
    pub amount: String,
    /// Currency column, used when the file has it. Default `Waehrung`.
    pub currency: String,
    /// Currency of lines without a currency column. Default `EUR`.
    pub default_currency: String,
    /// Remittance text column(s), joined with a space. Default `["Verwendungszweck"]`.
    pub remittance: Vec<String>,
    /// Payer's name column, used when the file has it. Default `Name Zahlungsbeteiligter`.
    pub debtor_name: String,
    /// Payer's IBAN column, used when the file has it (a line from a debtor's stored IBAN that
    /// names no invoice is applied under § 366 (2) BGB). Default `IBAN Zahlungsbeteiligter`.
    pub debtor_iban: String,
    /// The bank's own id of a line, used when the file has it (else a hash of the line is its
    /// key). Default `Buchungsreferenz`.
    pub entry_id: String,
}

impl Default for CsvLayout {
    fn default() -> Self {
        Self {
            delimiter: ';',
            skip_lines: 0,
            date_format: "%d.%m.%Y".to_owned(),
            decimal_comma: true,
            date: "Buchungstag".to_owned(),
            amount: "Betrag".to_owned(),
            currency: "Waehrung".to_owned(),
            default_currency: "EUR".to_owned(),
            remittance: vec!["Verwendungszweck".to_owned()],
            debtor_name: "Name Zahlungsbeteiligter".to_owned(),
            debtor_iban: "IBAN Zahlungsbeteiligter".to_owned(),
            entry_id: "Buchungsreferenz".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bank_s_layout_overrides_the_defaults_it_names() {
        let config: PaymentsConfig = toml::from_str(
            "[csv]\ndelimiter = \",\"\ndecimal_comma = false\nremittance = [\"Zweck 1\", \"Zweck 2\"]\n",
        )
        .unwrap();
        assert_eq!(config.csv.delimiter, ',');
        assert!(!config.csv.decimal_comma);
        assert_eq!(config.csv.remittance, ["Zweck 1", "Zweck 2"]);
        assert_eq!(config.csv.date, "Buchungstag");
        assert!(toml::from_str::<PaymentsConfig>("[csv]\ndelimeter = \";\"\n").is_err());
    }
}
