//! The EPC QR code ("GiroCode") of the pay-page as inline SVG: the same payload the letter
//! prints (see [`crate::deliver::letter`]), drawn as one path of dark modules with the quiet zone,
//! so that a banking app can scan it off a second screen.

use mahnwerk_channels::epc_qr::{EpcError, EpcPayment};
use mahnwerk_channels::letter::qr;
use mahnwerk_channels::BankDetails;
use mahnwerk_channels::Transfer;
use std::fmt::Write as _;

/// The EPC payload of `transfer` to `bank`, as the letter prints it.
pub fn payload(bank: &BankDetails, transfer: &Transfer) -> Result<String, EpcError> {
    Ok(EpcPayment::for_transfer(bank, transfer)?.payload())
}

/// `payload` as an SVG QR code at level M; `label` is read out by screen readers.
pub fn svg(payload: &str, label: &str) -> String {
    // An EPC payload is at most 331 bytes, which always fits a QR code.
    let symbol = qr::encode(payload).expect("an EPC payload fits a QR code");
    let mut path = String::with_capacity(symbol.runs.len() * 14);
    for (row, column, length) in &symbol.runs {
        let _ = write!(path, "M{column} {row}h{length}v1h-{length}z");
    }
    let size = symbol.size;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" role=\"img\" \
         aria-label=\"{label}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" \
         fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>",
        label = escape_attribute(label)
    )
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}
