//! Message headers with their AMQP types: a message passed on (a rejected intake message, copied
//! to the dead-letter exchange) keeps every header as it came — integers, byte arrays, tables —
//! not only the strings.

/// One header value, one variant per AMQP 0-9-1 field type (RabbitMQ's table types).
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    Bool(bool),
    I8(i8),
    U8(u8),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    I64(i64),
    F32(f32),
    F64(f64),
    Decimal {
        scale: u8,
        value: u32,
    },
    /// A short string (at most 255 bytes); published as a long string, which is what RabbitMQ
    /// reads in a table.
    ShortText(String),
    /// A long string: bytes, in practice UTF-8 text. What mahnwerk writes.
    Text(Vec<u8>),
    Timestamp(u64),
    Array(Vec<HeaderValue>),
    Table(Vec<(String, HeaderValue)>),
    Bytes(Vec<u8>),
    Void,
}

impl HeaderValue {
    /// A text header, as mahnwerk writes its own.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into().into_bytes())
    }

    /// The value as text, for the string types (a long string that is not UTF-8 is not text).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::ShortText(text) => Some(text),
            Self::Text(bytes) | Self::Bytes(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }
}

impl From<&str> for HeaderValue {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for HeaderValue {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}
