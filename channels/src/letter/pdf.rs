//! Writes laid-out pages as a PDF 1.7 file with pdf-writer: A4 media boxes (595.28 x 841.89 pt),
//! the standard Helvetica and Helvetica-Bold fonts in WinAnsiEncoding (not embedded: every reader
//! and printer has them), text, rules and QR modules in black.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::fonts::{win_ansi, Font};
use super::layout::{Item, Page, PAGE_HEIGHT, PAGE_WIDTH};

fn mm(value: f32) -> f32 {
    value * 72.0 / 25.4
}

/// The PDF bytes of `pages`.
pub fn write(pages: &[Page]) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    // Each page is two objects, the page and its content stream.
    let page_ids: Vec<(Ref, Ref)> =
        (0..pages.len() as i32).map(|i| (Ref::new(5 + 2 * i), Ref::new(6 + 2 * i))).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().map(|&(page, _)| page)).count(pages.len() as i32);
    for (id, font) in [(regular, Font::Regular), (bold, Font::Bold)] {
        pdf.type1_font(id).base_font(Name(font.base_font())).encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    for (page, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut writer = pdf.page(page_id);
        writer
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, mm(PAGE_WIDTH), mm(PAGE_HEIGHT)))
            .contents(content_id);
        let mut resources = writer.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(Font::Regular.resource()), regular);
        fonts.pair(Name(Font::Bold.resource()), bold);
        fonts.finish();
        resources.finish();
        writer.finish();
        pdf.stream(content_id, &content(page));
    }
    pdf.finish()
}

fn content(page: &Page) -> Vec<u8> {
    let top = mm(PAGE_HEIGHT);
    let mut content = Content::new();
    content.set_fill_gray(0.0).set_stroke_gray(0.0);
    for item in &page.items {
        match item {
            Item::Text { x, y, font, size, text } => {
                content
                    .begin_text()
                    .set_font(Name(font.resource()), *size)
                    .next_line(mm(*x), top - mm(*y))
                    .show(Str(&win_ansi(text)))
                    .end_text();
            }
            Item::Rule { x1, x2, y, width } => {
                content
                    .set_line_width(*width)
                    .move_to(mm(*x1), top - mm(*y))
                    .line_to(mm(*x2), top - mm(*y))
                    .stroke();
            }
            Item::Qr { x, y, side, symbol } => {
                let module = mm(*side) / symbol.size as f32;
                let (left, upper) = (mm(*x), top - mm(*y));
                for &(row, column, length) in &symbol.runs {
                    content.rect(
                        left + column as f32 * module,
                        upper - (row + 1) as f32 * module,
                        length as f32 * module,
                        module,
                    );
                }
                content.fill_nonzero();
            }
        }
    }
    content.finish().to_vec()
}
