//! Where everything goes on the page, in millimetres from the top left corner of an A4 sheet
//! (210 x 297 mm), following DIN 5008 form B:
//!
//! | element | position |
//! |---|---|
//! | letterhead | above 45 mm: creditor name bold 16 pt at 20 mm, address lines 9 pt below |
//! | address field | 20 mm from the left, 45 mm from the top, 85 x 45 mm |
//! | return line | 7 pt, at the top of the field's 17.7 mm endorsement zone, underlined |
//! | recipient | the 27.3 mm address zone from 62.7 mm, 10 pt, at most 6 lines, 25 mm from the left |
//! | information block | from 125 mm, first baseline 53 mm (the field's top is 50 mm): labels 7.5 pt, values 8.5 pt beside them, or below when too long; the date last |
//! | date | without an information block: right-aligned at 190 mm, baseline 98.4 mm |
//! | subject | bold 11 pt from 103.4 mm (baseline 106.4 mm) |
//! | text | 25 mm left margin, 20 mm right margin (165 mm wide), 11 pt on a 5 mm pitch |
//! | fold and punch marks | 105 mm, 210 mm (fold) and 148.5 mm (punch), 3 to 8 mm from the left |
//! | footer | below 275 mm: a rule, the creditor's contact 7.5 pt, page number right |
//!
//! Further pages start at 25 mm under a small running head. The amounts table and the payment
//! block (bank details, GiroCode, pay-link code) are kept whole: one that does not fit below the
//! text moves to the next page.

use super::fonts::Font;
use super::qr::QrSymbol;

pub const PAGE_WIDTH: f32 = 210.0;
pub const PAGE_HEIGHT: f32 = 297.0;
pub const LEFT: f32 = 25.0;
pub const RIGHT: f32 = 190.0;
pub const ADDRESS_LEFT: f32 = 20.0;
pub const ADDRESS_TOP: f32 = 45.0;
pub const ADDRESS_WIDTH: f32 = 85.0;
pub const ADDRESS_HEIGHT: f32 = 45.0;
/// The endorsement zone at the top of the address field that holds the return line.
pub const ENDORSEMENT_HEIGHT: f32 = 17.7;
pub const MAX_RECIPIENT_LINES: usize = 6;
const DATE_BASELINE: f32 = 98.4;
const INFO_LEFT: f32 = 125.0;
const INFO_FIRST_BASELINE: f32 = 53.0;
const INFO_PITCH: f32 = 3.8;
/// The information block's last baseline: it ends above the subject.
const INFO_LAST_BASELINE: f32 = 96.0;
const INFO_LABEL_SIZE: f32 = 7.5;
const INFO_VALUE_SIZE: f32 = 8.5;
const SUBJECT_BASELINE: f32 = 106.4;
const CONTINUATION_TOP: f32 = 25.0;
/// Lowest baseline of flowing text; the footer owns what is below.
const CONTENT_BOTTOM: f32 = 268.0;
const FOOTER_RULE: f32 = 275.0;
const BODY_SIZE: f32 = 11.0;
const BODY_PITCH: f32 = 5.0;
const SMALL_PITCH: f32 = 3.4;
/// Side of each QR code including its quiet zone; at 300 dpi a module is still 4 to 5 dots.
const QR_SIDE: f32 = 32.0;
const QR_GAP: f32 = 4.0;

/// One thing drawn on a page. Coordinates are millimetres from the top left; text `y` is the
/// baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        text: String,
    },
    /// A horizontal line `width` points thick.
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
    /// A QR symbol whose top left corner (quiet zone included) is at `x`, `y`.
    Qr {
        x: f32,
        y: f32,
        side: f32,
        symbol: QrSymbol,
    },
}

/// One page's items, in drawing order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, text: impl Into<String>) {
        self.items.push(Item::Text { x, y, font, size, text: text.into() });
    }

    fn text_right(&mut self, right: f32, y: f32, font: Font, size: f32, text: &str) {
        let x = right - pt_to_mm(font.width(text, size));
        self.text(x, y, font, size, text);
    }

    fn text_centered(&mut self, center: f32, y: f32, font: Font, size: f32, text: &str) {
        let x = center - pt_to_mm(font.width(text, size)) / 2.0;
        self.text(x, y, font, size, text);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32) {
        self.items.push(Item::Rule { x1, x2, y, width });
    }
}

pub fn pt_to_mm(pt: f32) -> f32 {
    pt * 25.4 / 72.0
}

/// Breaks `text` into lines no wider than `width` millimetres at the first spaces that allow it;
/// a word wider than a line on its own is split between characters.
pub fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let fits = |line: &str| pt_to_mm(font.width(line, size)) <= width;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if !fits(&line) && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Lays out pages top to bottom, starting a new page when the next block does not fit.
pub struct Flow {
    pages: Vec<Page>,
    /// Baseline of the next line on the current page.
    y: f32,
    running_head: String,
}

impl Flow {
    /// A flow whose first page is `first`, continuing at baseline `y`.
    pub fn new(first: Page, y: f32, running_head: String) -> Self {
        Flow { pages: vec![first], y, running_head }
    }

    pub fn y(&self) -> f32 {
        self.y
    }

    pub fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a flow always has a page")
    }

    /// Makes room for a block whose last baseline is `height` below the next one.
    pub fn reserve(&mut self, height: f32) {
        if self.y + height > CONTENT_BOTTOM && self.y > CONTINUATION_TOP {
            let mut page = Page::default();
            page.text(LEFT, CONTINUATION_TOP - 10.0, Font::Regular, 8.0, self.running_head.clone());
            self.pages.push(page);
            self.y = CONTINUATION_TOP;
        }
    }

    pub fn advance(&mut self, by: f32) {
        self.y += by;
    }

    /// Body text: lines as given, each wrapped to the text width; an empty line is a blank line.
    pub fn paragraphs(&mut self, body: &str) {
        for line in body.lines() {
            if line.trim().is_empty() {
                self.y += BODY_PITCH;
                continue;
            }
            for wrapped in wrap(line, Font::Regular, BODY_SIZE, RIGHT - LEFT) {
                self.reserve(0.0);
                let y = self.y;
                self.page().text(LEFT, y, Font::Regular, BODY_SIZE, wrapped);
                self.y += BODY_PITCH;
            }
        }
    }

    /// A table of (label, amount) rows with the amounts right-aligned, and a bold total under a
    /// rule.
    pub fn amounts(&mut self, rows: &[(String, String)], total: Option<&(String, String)>) {
        const AMOUNT_RIGHT: f32 = 135.0;
        let lines = rows.len() + usize::from(total.is_some());
        if lines == 0 {
            return;
        }
        self.y += BODY_PITCH;
        self.reserve((lines as f32 - 1.0) * BODY_PITCH + 2.0);
        for (label, amount) in rows {
            let y = self.y;
            self.page().text(LEFT, y, Font::Regular, BODY_SIZE, label.clone());
            self.page().text_right(AMOUNT_RIGHT, y, Font::Regular, BODY_SIZE, amount);
            self.y += BODY_PITCH;
        }
        if let Some((label, amount)) = total {
            let y = self.y + 1.5;
            self.page().rule(LEFT, AMOUNT_RIGHT, y - 4.4, 0.6);
            self.page().text(LEFT, y, Font::Bold, BODY_SIZE, label.clone());
            self.page().text_right(AMOUNT_RIGHT, y, Font::Bold, BODY_SIZE, amount);
            self.y = y + BODY_PITCH;
        }
    }

    /// Bank details on the left, up to two captioned QR codes on the right, kept on one page.
    pub fn payment(&mut self, bank_lines: &[(Font, String)], codes: Vec<(QrSymbol, String)>) {
        if bank_lines.is_empty() && codes.is_empty() {
            return;
        }
        const CAPTION_SIZE: f32 = 8.0;
        let caption_width = QR_SIDE + QR_GAP - 1.0;
        let captions: Vec<Vec<String>> = codes
            .iter()
            .map(|(_, caption)| wrap(caption, Font::Regular, CAPTION_SIZE, caption_width))
            .collect();
        let caption_lines = captions.iter().map(Vec::len).max().unwrap_or(0) as f32;
        let codes_height = if codes.is_empty() { 0.0 } else { QR_SIDE + caption_lines * SMALL_PITCH };
        let text_height = bank_lines.len() as f32 * BODY_PITCH;
        self.y += BODY_PITCH;
        self.reserve(codes_height.max(text_height));
        let top = self.y;
        for (i, (font, line)) in bank_lines.iter().enumerate() {
            self.page().text(LEFT, top + i as f32 * BODY_PITCH, *font, 10.0, line.clone());
        }
        // The codes sit flush right, the pay link outermost; their quiet zones touch the text
        // baseline's cap height so the block lines up with the first bank line.
        let count = codes.len() as f32;
        let mut x = RIGHT - count * QR_SIDE - (count - 1.0).max(0.0) * QR_GAP;
        let qr_top = top - 4.0;
        for ((symbol, _), caption) in codes.into_iter().zip(captions) {
            self.page().items.push(Item::Qr { x, y: qr_top, side: QR_SIDE, symbol });
            for (i, line) in caption.iter().enumerate() {
                let y = qr_top + QR_SIDE + 1.0 + i as f32 * SMALL_PITCH;
                self.page().text_centered(x + QR_SIDE / 2.0, y, Font::Regular, CAPTION_SIZE, line);
            }
            x += QR_SIDE + QR_GAP;
        }
        self.y = (top + text_height).max(qr_top + codes_height + 1.0 + BODY_PITCH);
    }

    /// The pages, each finished with fold marks (first page), footer and page number.
    pub fn finish(mut self, footer_lines: &[String], page_caption: &str) -> Vec<Page> {
        let pages = self.pages.len();
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.rule(LEFT, RIGHT, FOOTER_RULE, 0.4);
            let footer: Vec<String> =
                footer_lines.iter().flat_map(|line| wrap(line, Font::Regular, 7.5, 130.0)).take(5).collect();
            for (i, line) in footer.into_iter().enumerate() {
                page.text(LEFT, FOOTER_RULE + 4.0 + i as f32 * SMALL_PITCH, Font::Regular, 7.5, line);
            }
            let number = page_caption
                .replace("{page}", &(index + 1).to_string())
                .replace("{pages}", &pages.to_string());
            page.text_right(RIGHT, FOOTER_RULE + 4.0, Font::Regular, 7.5, &number);
        }
        self.pages
    }
}

/// The first page down to the subject: letterhead, address field, fold marks, the information
/// block (`info`, labelled rows) or else the `date` line, and the subject. Returns the page and
/// the baseline where the text starts.
pub fn first_page(
    sender_lines: &[String],
    recipient_lines: &[String],
    info: &[(String, String)],
    date: &str,
    subject: &str,
) -> (Page, f32) {
    let mut page = Page::default();
    // Fold marks for a DL window envelope, and the longer punch mark at half height.
    for (y, end) in [(105.0, 7.0), (148.5, 9.0), (210.0, 7.0)] {
        page.rule(3.0, end, y, 0.3);
    }

    let (name, address) = sender_lines.split_first().map_or(("", &[][..]), |(n, a)| (n.as_str(), a));
    page.text(LEFT, 20.0, Font::Bold, 16.0, name);
    for (i, line) in address.iter().take(4).enumerate() {
        page.text(LEFT, 26.0 + i as f32 * 3.8, Font::Regular, 9.0, line.clone());
    }

    // The return line must fit the field's width, so it shrinks rather than spills.
    let return_line = sender_lines.join(" · ");
    let inner_width = ADDRESS_WIDTH - 2.0 * (LEFT - ADDRESS_LEFT);
    let width_at_7 = pt_to_mm(Font::Regular.width(&return_line, 7.0));
    let size = if width_at_7 > inner_width { (7.0 * inner_width / width_at_7).max(5.0) } else { 7.0 };
    let return_baseline = ADDRESS_TOP + 4.0;
    page.text(LEFT, return_baseline, Font::Regular, size, return_line.clone());
    let underline = LEFT + pt_to_mm(Font::Regular.width(&return_line, size)).min(inner_width);
    page.rule(LEFT, underline, return_baseline + 0.8, 0.3);

    let first = ADDRESS_TOP + ENDORSEMENT_HEIGHT + 3.5;
    for (i, line) in recipient_lines.iter().take(MAX_RECIPIENT_LINES).enumerate() {
        page.text(LEFT, first + i as f32 * 4.23, Font::Regular, 10.0, line.clone());
    }

    if !info.is_empty() {
        info_block(&mut page, info);
    } else if !date.is_empty() {
        page.text_right(RIGHT, DATE_BASELINE, Font::Regular, 10.0, date);
    }
    let mut y = SUBJECT_BASELINE;
    for line in wrap(subject, Font::Bold, 11.0, RIGHT - LEFT) {
        page.text(LEFT, y, Font::Bold, 11.0, line);
        y += BODY_PITCH;
    }
    (page, y + BODY_PITCH)
}

/// The information block: labels in a column, each value beside its label, or on the line below
/// when it is too long for that (an email address), shrunk to fit the block if need be. Rows
/// that would run into the subject are left out.
fn info_block(page: &mut Page, rows: &[(String, String)]) {
    let label_width = rows
        .iter()
        .map(|(label, _)| pt_to_mm(Font::Regular.width(label, INFO_LABEL_SIZE)))
        .fold(0.0, f32::max);
    let value_left = INFO_LEFT + label_width + 2.0;
    let mut y = INFO_FIRST_BASELINE;
    for (label, value) in rows {
        let beside = pt_to_mm(Font::Regular.width(value, INFO_VALUE_SIZE)) <= RIGHT - value_left;
        let height = if beside { 0.0 } else { INFO_PITCH };
        if y + height > INFO_LAST_BASELINE {
            break;
        }
        page.text(INFO_LEFT, y, Font::Regular, INFO_LABEL_SIZE, label.clone());
        if beside {
            page.text(value_left, y, Font::Regular, INFO_VALUE_SIZE, value.clone());
        } else {
            y += INFO_PITCH;
            let width = pt_to_mm(Font::Regular.width(value, INFO_VALUE_SIZE));
            let size = if width > RIGHT - INFO_LEFT {
                INFO_VALUE_SIZE * (RIGHT - INFO_LEFT) / width
            } else {
                INFO_VALUE_SIZE
            };
            page.text(INFO_LEFT, y, Font::Regular, size, value.clone());
        }
        y += INFO_PITCH;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_lines_within_the_width() {
        let text =
            "Bitte überweisen Sie den offenen Betrag bis zum 30. Oktober 2026 auf das unten genannte Konto.";
        let lines = wrap(text, Font::Regular, 11.0, 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.join(" "), text);
        for line in &lines {
            assert!(pt_to_mm(Font::Regular.width(line, 11.0)) <= 60.0, "{line}");
        }
    }

    #[test]
    fn a_word_wider_than_the_line_is_split() {
        let lines = wrap(&"W".repeat(40), Font::Regular, 11.0, 30.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), "W".repeat(40));
    }

    #[test]
    fn long_text_flows_onto_further_pages_with_numbers() {
        let (page, y) =
            first_page(&["Acme GmbH".into()], &["Erika".into()], &[], "1. Oktober 2026", "Mahnung");
        let mut flow = Flow::new(page, y, "Acme GmbH".into());
        flow.paragraphs(&"Ein Absatz, der sich wiederholt.\n\n".repeat(60));
        let pages = flow.finish(&["Tel. 030 123".into()], "Seite {page} von {pages}");
        assert!(pages.len() >= 2);
        let last = pages.last().unwrap();
        let expected = format!("Seite {} von {}", pages.len(), pages.len());
        assert!(last.items.iter().any(|item| matches!(item, Item::Text { text, .. } if *text == expected)));
        for page in &pages {
            for item in &page.items {
                if let Item::Text { y, .. } = item {
                    assert!(*y <= PAGE_HEIGHT - 5.0, "text at {y} mm runs off the page");
                }
            }
        }
    }
}
