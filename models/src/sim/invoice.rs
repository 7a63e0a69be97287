//! The invoices a population receives over the horizon, with line items that sum to the cent.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::debtor::{Segment, SimDebtor};
use super::sample::log_normal;

/// One invoice. Days count from day 0 of the simulation, in the debtor's local calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimInvoice {
    /// Index into [`Population::debtors`](super::Population::debtors).
    pub debtor_index: usize,
    /// `RE-000001-001`: debtor serial, then the debtor's invoice count. Unique in a population.
    pub invoice_number: String,
    pub issued_day: u32,
    pub due_day: u32,
    /// The amount due in cents; equals the sum of `quantity * unit_price_cents` over `lines`.
    pub amount_cents: i64,
    /// Always `"EUR"`.
    pub currency: String,
    pub lines: Vec<SimLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimLine {
    pub sku: String,
    pub description: String,
    pub quantity: u32,
    pub unit_price_cents: i64,
}

/// Number of product groups in each catalog; [`SimDebtor::product_taste`] indexes them.
pub(crate) const TASTES: u8 = 4;

/// (taste group, SKU, description). Debtors buy mostly from their own group, so line items carry
/// a co-purchase signal for the recommender.
type Product = (u8, &'static str, &'static str);

const CONSUMER_CATALOG: [Product; 12] = [
    (0, "TEL-BASIS", "Mobilfunk Basistarif"),
    (0, "TEL-DATA", "Datenpaket 10 GB"),
    (0, "TEL-ROAM", "Roaming-Option EU"),
    (1, "STROM-M", "Stromabschlag"),
    (1, "GAS-M", "Gasabschlag"),
    (1, "SERV-HEIZ", "Heizungswartung"),
    (2, "STREAM-HD", "Streaming-Abo HD"),
    (2, "MAG-DIGI", "Digitalabo Magazin"),
    (2, "MUSIK-FAM", "Musik-Familienabo"),
    (3, "FIT-MONAT", "Fitnessstudio Monatsbeitrag"),
    (3, "FIT-KURS", "Kursgebühr"),
    (3, "FIT-GETR", "Getränkeflatrate"),
];

const BUSINESS_CATALOG: [Product; 12] = [
    (0, "IT-WART", "IT-Wartungsvertrag"),
    (0, "IT-LIZ", "Softwarelizenz"),
    (0, "IT-STD", "Support-Stunde"),
    (1, "BUERO-PAP", "Kopierpapier (Karton)"),
    (1, "BUERO-TON", "Toner"),
    (1, "BUERO-MOEB", "Bürostuhl"),
    (2, "FAC-REIN", "Unterhaltsreinigung"),
    (2, "FAC-WART", "Aufzugswartung"),
    (2, "FAC-WINTER", "Winterdienst"),
    (3, "LOG-FRACHT", "Frachtpauschale"),
    (3, "LOG-PAL", "Palettenmiete"),
    (3, "LOG-LAGER", "Lagerfläche"),
];

/// Share of lines taken from the debtor's own product group.
const OWN_TASTE_SHARE: f64 = 0.8;
/// No line is cheaper than this, so every line is a plausible product.
const MIN_LINE_CENTS: i64 = 100;

/// Per segment: amount bounds in cents, most lines, most units on one line.
struct Shape {
    min_cents: i64,
    max_cents: i64,
    max_lines: usize,
    max_quantity: u32,
}

/// Consumers owe 20 to 500 EUR, businesses 200 to 20 000 EUR.
fn shape(segment: Segment) -> Shape {
    match segment {
        Segment::Consumer => Shape { min_cents: 2_000, max_cents: 50_000, max_lines: 3, max_quantity: 2 },
        Segment::Business => {
            Shape { min_cents: 20_000, max_cents: 2_000_000, max_lines: 4, max_quantity: 10 }
        }
    }
}

/// Draws all invoices of one debtor. Invoices are spread evenly over the horizon, one per period
/// with some jitter, like a subscription or a regular supplier.
pub(crate) fn draw_invoices<R: Rng + ?Sized>(
    debtor_index: usize,
    debtor: &SimDebtor,
    horizon_days: u32,
    rng: &mut R,
) -> Vec<SimInvoice> {
    let terms_days = match debtor.segment {
        Segment::Consumer => 14,
        Segment::Business => *[14, 30, 30].choose(rng).expect("not empty"),
    };
    let count = debtor.invoice_count.max(1);
    let period = f64::from(horizon_days) / f64::from(count);
    (0..count)
        .map(|k| {
            let issued_day = (f64::from(k) * period + rng.gen_range(0.0..period * 0.6)) as u32;
            let amount_cents = draw_amount(rng, debtor);
            SimInvoice {
                debtor_index,
                invoice_number: format!("RE-{:06}-{:03}", debtor_index + 1, k + 1),
                issued_day,
                due_day: issued_day + terms_days,
                amount_cents,
                currency: "EUR".to_owned(),
                lines: draw_lines(rng, debtor, amount_cents),
            }
        })
        .collect()
}

fn draw_amount<R: Rng + ?Sized>(rng: &mut R, debtor: &SimDebtor) -> i64 {
    let s = shape(debtor.segment);
    let cents = log_normal(rng, debtor.amount_scale_cents as f64, 0.35).round() as i64;
    cents.clamp(s.min_cents, s.max_cents)
}

/// Splits `amount_cents` into line items: every line but the last gets a random share as
/// quantity x unit price (rounded down), the last line takes the exact remainder, so the lines
/// always sum to the amount.
fn draw_lines<R: Rng + ?Sized>(rng: &mut R, debtor: &SimDebtor, amount_cents: i64) -> Vec<SimLine> {
    let s = shape(debtor.segment);
    let mut products = choose_products(rng, debtor, s.max_lines);
    let affordable = usize::try_from(amount_cents / MIN_LINE_CENTS).unwrap_or(usize::MAX);
    products.truncate(affordable.max(1));

    let weights: Vec<f64> = products.iter().map(|_| rng.gen_range(0.5..1.5)).collect();
    let total: f64 = weights.iter().sum();
    let mut remaining = amount_cents;
    let mut lines = Vec::with_capacity(products.len());
    for (i, &(_, sku, description)) in products.iter().enumerate() {
        let later_lines = products.len() - i - 1;
        let (quantity, unit_price_cents) = if later_lines == 0 {
            (1, remaining)
        } else {
            // Keep MIN_LINE_CENTS per later line in reserve so the remainder stays a real price.
            let reserve = later_lines as i64 * MIN_LINE_CENTS;
            let share = ((amount_cents as f64 * weights[i] / total) as i64)
                .clamp(MIN_LINE_CENTS, (remaining - reserve).max(MIN_LINE_CENTS));
            let most = u32::try_from(share / MIN_LINE_CENTS).unwrap_or(u32::MAX);
            let quantity = rng.gen_range(1..=s.max_quantity).min(most.max(1));
            (quantity, share / i64::from(quantity))
        };
        remaining -= i64::from(quantity) * unit_price_cents;
        lines.push(SimLine {
            sku: sku.to_owned(),
            description: description.to_owned(),
            quantity,
            unit_price_cents,
        });
    }
    lines
}

/// Picks 1..=`max_lines` distinct products, mostly from the debtor's own group.
fn choose_products<R: Rng + ?Sized>(rng: &mut R, debtor: &SimDebtor, max_lines: usize) -> Vec<Product> {
    let catalog = match debtor.segment {
        Segment::Consumer => &CONSUMER_CATALOG,
        Segment::Business => &BUSINESS_CATALOG,
    };
    let (mut own, mut other): (Vec<Product>, Vec<Product>) =
        catalog.iter().copied().partition(|p| p.0 == debtor.product_taste);
    own.shuffle(rng);
    other.shuffle(rng);
    let n = rng.gen_range(1..=max_lines);
    (0..n)
        .map(|_| {
            let take_own = !own.is_empty() && (other.is_empty() || rng.gen_bool(OWN_TASTE_SHARE));
            let product = if take_own { own.pop() } else { other.pop() };
            product.expect("the catalog has more products than an invoice has lines")
        })
        .collect()
}
