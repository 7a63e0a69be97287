//! Writes laid-out pages as a PDF 1.7 file with pdf-writer: A4 media boxes (595.28 x 841.89 pt),
//! text, rules and QR modules in black.
//!
//! Each of the two fonts is embedded as a subset of the glyphs the letter uses (typically 60 to
//! 90 of Liberation Sans's 2,600), made by `subsetter`: a Type 0 font over a CIDFontType2 with
//! Identity-H encoding, so text is written as two-byte glyph ids, and a ToUnicode map so that
//! readers, screen readers and the print service's address scanner get the characters back.
//! Font files, maps and page contents are deflated. The subsets are most of a letter's bytes
//! (about 22 of 34 KB): Liberation Sans keeps its hinting, which makes small print crisp.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use super::fonts::Font;
use super::layout::{Item, Page, PAGE_HEIGHT, PAGE_WIDTH};

fn mm(value: f32) -> f32 {
    value * 72.0 / 25.4
}

/// The PDF bytes of `pages`.
pub fn write(pages: &[Page]) -> Vec<u8> {
    let mut next = 1;
    let mut id = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let catalog = id();
    let tree = id();
    let fonts: Vec<(Font, Ref)> = Font::ALL.into_iter().map(|font| (font, id())).collect();
    // Each font is five objects: Type 0, CID font, descriptor, font file, ToUnicode map.
    let font_parts: Vec<[Ref; 4]> = fonts.iter().map(|_| [id(), id(), id(), id()]).collect();
    // Each page is two objects, the page and its content stream.
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (id(), id())).collect();

    let subsets: Vec<Subset> = Font::ALL.into_iter().map(|font| Subset::of(font, pages)).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().map(|&(page, _)| page)).count(pages.len() as i32);
    for ((&(font, font_id), parts), subset) in fonts.iter().zip(&font_parts).zip(&subsets) {
        subset.write(&mut pdf, font, font_id, *parts);
    }

    for (page, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut writer = pdf.page(page_id);
        writer
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, mm(PAGE_WIDTH), mm(PAGE_HEIGHT)))
            .contents(content_id);
        let mut resources = writer.resources();
        let mut dictionary = resources.fonts();
        for &(font, font_id) in &fonts {
            dictionary.pair(Name(font.resource()), font_id);
        }
        dictionary.finish();
        resources.finish();
        writer.finish();
        let content = deflate(&content(page, &subsets));
        pdf.stream(content_id, &content).filter(Filter::FlateDecode);
    }
    pdf.finish()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// The glyphs of one font that the letter uses, renumbered from 1 (0 is `.notdef`).
struct Subset {
    remapper: subsetter::GlyphRemapper,
    /// New glyph id to the character it prints.
    chars: BTreeMap<u16, char>,
}

impl Subset {
    fn of(font: Font, pages: &[Page]) -> Self {
        let mut subset = Subset { remapper: subsetter::GlyphRemapper::new(), chars: BTreeMap::new() };
        for item in pages.iter().flat_map(|page| &page.items) {
            if let Item::Text { font: used, text, .. } = item {
                if *used == font {
                    subset.add(font, text);
                }
            }
        }
        subset
    }

    /// Adds the glyphs of `text` to the subset.
    fn add(&mut self, font: Font, text: &str) {
        for (glyph, c) in font.glyphs(text) {
            let new = self.remapper.remap(glyph.0);
            self.chars.entry(new).or_insert(c);
        }
    }

    /// Six capital letters naming this subset (PDF 32000 9.6.4), the same for the same glyphs.
    fn tag(&self) -> String {
        // FNV-1a over the original glyph ids.
        let mut hash: u32 = 0x811c_9dc5;
        for glyph in self.remapper.remapped_gids() {
            for byte in glyph.to_be_bytes() {
                hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
            }
        }
        (0..6).map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8)).collect()
    }

    fn write(&self, pdf: &mut Pdf, font: Font, type0: Ref, [cid, descriptor, file, cmap]: [Ref; 4]) {
        let face = font.face();
        let name = format!("{}+{}", self.tag(), font.postscript_name());
        let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

        pdf.type0_font(type0)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        let widths: Vec<f32> =
            self.remapper.remapped_gids().map(|old| font.advance(ttf_parser::GlyphId(old))).collect();
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(name.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();

        let bbox = face.global_bounding_box();
        let per_mille = |units: i16| font.per_mille(units);
        let (stem_v, flags) = match font {
            Font::Regular => (80.0, FontFlags::NON_SYMBOLIC),
            Font::Bold => (140.0, FontFlags::NON_SYMBOLIC | FontFlags::FORCE_BOLD),
        };
        pdf.font_descriptor(descriptor)
            .name(Name(name.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(
                per_mille(bbox.x_min),
                per_mille(bbox.y_min),
                per_mille(bbox.x_max),
                per_mille(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(per_mille(face.ascender()))
            .descent(per_mille(face.descender()))
            .cap_height(per_mille(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(stem_v)
            .font_file2(file);

        // The shipped fonts are known to subset; a failure is a bug in the subsetter, and the
        // whole font still prints the same letter, only larger.
        let data = subsetter::subset(font.data(), 0, &self.remapper).unwrap_or_else(|_| font.data().to_vec());
        let compressed = deflate(&data);
        pdf.stream(file, &compressed).filter(Filter::FlateDecode).pair(Name(b"Length1"), data.len() as i32);

        let mut unicode = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system_info);
        for (&glyph, &c) in &self.chars {
            unicode.pair(glyph, c);
        }
        pdf.cmap(cmap, &deflate(&unicode.finish())).filter(Filter::FlateDecode);
    }
}

fn content(page: &Page, subsets: &[Subset]) -> Vec<u8> {
    let top = mm(PAGE_HEIGHT);
    let mut content = Content::new();
    content.set_fill_gray(0.0).set_stroke_gray(0.0);
    for item in &page.items {
        match item {
            Item::Text { x, y, font, size, text } => {
                let encoded = glyph_ids(&subsets[*font as usize], *font, text);
                content
                    .begin_text()
                    .set_font(Name(font.resource()), *size)
                    .next_line(mm(*x), top - mm(*y))
                    .show(Str(&encoded))
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

/// `text` as the subset's two-byte glyph ids. Every glyph is already in the subset, which was
/// collected from the same pages.
fn glyph_ids(subset: &Subset, font: Font, text: &str) -> Vec<u8> {
    font.glyphs(text).flat_map(|(glyph, _)| subset.remapper.get(glyph.0).unwrap_or(0).to_be_bytes()).collect()
}
