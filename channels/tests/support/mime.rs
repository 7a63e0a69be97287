//! Just enough of a MIME reader to check in tests what a mail client would show: unfolded and
//! RFC 2047-decoded headers, multipart bodies, quoted-printable and base64 transfer encodings.
#![allow(dead_code)] // each including test binary uses a different part of it

/// One message or one MIME part.
#[derive(Debug, Clone)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    /// The raw body, still transfer-encoded.
    pub body: String,
}

/// Splits a message into unfolded headers and body.
pub fn parse(data: &str) -> Part {
    let data = data.replace("\r\n", "\n");
    let (head, body) = data.split_once("\n\n").unwrap_or((&data, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().expect("continuation line before any header");
            value.push(' ');
            value.push_str(line.trim());
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Part { headers, body: body.to_string() }
}

impl Part {
    /// The raw value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The header's value with encoded words decoded, as a mail client shows it.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(decode_words)
    }

    /// The display name of a mailbox header like `From`, decoded and unquoted.
    pub fn display_name(&self, name: &str) -> Option<String> {
        let value = self.header(name)?;
        let (display, _) = value.split_once('<')?;
        let display = decode_words(display.trim());
        Some(display.trim_matches('"').replace("\\\"", "\"").to_string())
    }

    /// The address inside the angle brackets of a mailbox header.
    pub fn address(&self, name: &str) -> Option<String> {
        let value = self.header(name)?;
        let start = value.find('<')? + 1;
        let end = value[start..].find('>')? + start;
        Some(value[start..end].to_string())
    }

    /// `text/plain` from `text/plain; charset=utf-8`.
    pub fn mime_type(&self) -> String {
        let value = self.header("Content-Type").unwrap_or("text/plain");
        value.split(';').next().unwrap().trim().to_ascii_lowercase()
    }

    /// The parts of a multipart body, in order.
    pub fn parts(&self) -> Vec<Part> {
        let content_type = self.header("Content-Type").unwrap_or("");
        let boundary = content_type
            .split(';')
            .filter_map(|param| param.trim().strip_prefix("boundary="))
            .next()
            .expect("multipart without boundary")
            .trim_matches('"');
        // The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
        let delimiter = format!("\n--{boundary}");
        let body = format!("\n{}", self.body);
        let mut parts = Vec::new();
        for chunk in body.split(delimiter.as_str()).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            parts.push(parse(chunk.trim_start_matches('\n')));
        }
        parts
    }

    /// The body decoded from its transfer encoding, as bytes (for attachments).
    pub fn bytes(&self) -> Vec<u8> {
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => base64(&self.body),
            "quoted-printable" => quoted_printable(&self.body),
            _ => self.body.as_bytes().to_vec(),
        }
    }

    /// The body decoded from its transfer encoding, line endings as LF.
    pub fn text(&self) -> String {
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => base64(&self.body),
            "quoted-printable" => quoted_printable(&self.body),
            _ => self.body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes).expect("body is not utf-8").replace("\r\n", "\n")
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let Some(word) = encoded_word(&rest[start..]) else {
            break;
        };
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.extend_from_slice(between.as_bytes());
        }
        out.extend(word.1);
        rest = &rest[start + word.0..];
        after_word = true;
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).expect("header is not utf-8")
}

/// Parses one encoded word at the start of `text`: its length and decoded bytes.
fn encoded_word(text: &str) -> Option<(usize, Vec<u8>)> {
    let inner = &text[2..];
    let mut fields = inner.splitn(3, '?');
    let _charset = fields.next()?;
    let encoding = fields.next()?;
    let rest = fields.next()?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    let decoded = match encoding {
        "b" | "B" => base64(payload),
        "q" | "Q" => quoted_printable(&payload.replace('_', " ")),
        _ => return None,
    };
    let length = 2 + inner.len() - rest.len() + end + 2;
    Some((length, decoded))
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let mut acc = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            acc |= d << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.replace("=\r\n", "").replace("=\n", "").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}
