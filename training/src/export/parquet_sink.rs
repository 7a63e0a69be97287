//! The Parquet form of the export: the columns of the CSV with their types (timestamps in UTC
//! microseconds, the paid amount as `DECIMAL(38,4)`, reward and the payment's time nullable, the
//! allowed arms and the context as JSON text, the planner's context keys as `context_<key>`
//! text columns), Snappy-compressed, written in row groups of [`ROW_GROUP`] rows so memory stays
//! flat however many rows there are. pandas, polars and DuckDB read it directly.

use super::line::ExportLine;
use anyhow::Context as _;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType};
use parquet::data_type::{Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use rust_decimal::Decimal;
use std::io::Write;
use std::sync::Arc;

/// Rows buffered per row group.
pub const ROW_GROUP: usize = 65_536;

/// The decimal places of `amount_paid` (every currency's minor units fit).
const AMOUNT_SCALE: u32 = 4;

/// The file's schema, in the column order [`Columns`] fills.
fn schema() -> String {
    let context: String = ExportLine::CSV_CONTEXT
        .iter()
        .map(|key| format!("  OPTIONAL BYTE_ARRAY context_{key} (STRING);\n"))
        .collect();
    format!(
        "message decision {{
  REQUIRED BYTE_ARRAY id (STRING);
  REQUIRED INT64 reminder_id;
  REQUIRED BYTE_ARRAY tenant (STRING);
  REQUIRED INT64 case_id;
  REQUIRED BYTE_ARRAY invoice_number (STRING);
  REQUIRED BYTE_ARRAY debtor_id (STRING);
  REQUIRED BYTE_ARRAY debtor (STRING);
  REQUIRED INT64 at (TIMESTAMP(MICROS,true));
  OPTIONAL INT64 sent_at (TIMESTAMP(MICROS,true));
  REQUIRED BYTE_ARRAY channel (STRING);
  REQUIRED INT32 hour;
  REQUIRED INT32 stage;
  REQUIRED DOUBLE propensity;
  OPTIONAL DOUBLE reward;
  REQUIRED BYTE_ARRAY policy_version (STRING);
  REQUIRED DOUBLE cost_eur;
  REQUIRED BYTE_ARRAY currency (STRING);
  REQUIRED FIXED_LEN_BYTE_ARRAY (16) amount_paid (DECIMAL(38,{AMOUNT_SCALE}));
  OPTIONAL INT64 paid_at (TIMESTAMP(MICROS,true));
  OPTIONAL DOUBLE hours_to_pay;
  OPTIONAL BYTE_ARRAY channels (JSON);
  OPTIONAL BYTE_ARRAY hours (JSON);
  OPTIONAL BYTE_ARRAY context (JSON);
{context}}}"
    )
}

/// One column's values of the current row group, and for a nullable column which rows have one.
struct Column<T> {
    values: Vec<T>,
    /// `Some` on a nullable column: 1 where the row has a value, 0 where it is null.
    defined: Option<Vec<i16>>,
}

impl<T> Column<T> {
    fn required() -> Self {
        Column { values: Vec::new(), defined: None }
    }

    fn nullable() -> Self {
        Column { values: Vec::new(), defined: Some(Vec::new()) }
    }

    fn push(&mut self, value: T) {
        self.values.push(value);
    }

    fn push_option(&mut self, value: Option<T>) {
        let defined = self.defined.as_mut().expect("a nullable column");
        defined.push(i16::from(value.is_some()));
        self.values.extend(value);
    }

    fn clear(&mut self) {
        self.values.clear();
        if let Some(defined) = &mut self.defined {
            defined.clear();
        }
    }
}

/// The columns of one row group, in schema order.
struct Columns {
    texts: Vec<Column<ByteArray>>,
    ints: Vec<Column<i64>>,
    small_ints: Vec<Column<i32>>,
    doubles: Vec<Column<f64>>,
    amount_paid: Column<FixedLenByteArray>,
    rows: usize,
}

/// Where each schema column's values are: which typed list and which index in it.
#[derive(Clone, Copy)]
enum Slot {
    Text(usize),
    Int(usize),
    SmallInt(usize),
    Double(usize),
    Amount,
}

/// The schema's columns in order (see [`schema`]), as slots.
fn slots() -> Vec<Slot> {
    use Slot::*;
    let mut slots = vec![
        Text(0),     // id
        Int(0),      // reminder_id
        Text(1),     // tenant
        Int(1),      // case_id
        Text(2),     // invoice_number
        Text(3),     // debtor_id
        Text(4),     // debtor
        Int(2),      // at
        Int(3),      // sent_at
        Text(5),     // channel
        SmallInt(0), // hour
        SmallInt(1), // stage
        Double(0),   // propensity
        Double(1),   // reward
        Text(6),     // policy_version
        Double(2),   // cost_eur
        Text(7),     // currency
        Amount,      // amount_paid
        Int(4),      // paid_at
        Double(3),   // hours_to_pay
        Text(8),     // channels
        Text(9),     // hours
        Text(10),    // context
    ];
    slots.extend((0..ExportLine::CSV_CONTEXT.len()).map(|i| Text(11 + i)));
    slots
}

impl Columns {
    fn new() -> Self {
        let nullable_texts = 3 + ExportLine::CSV_CONTEXT.len();
        let texts = (0..8).map(|_| Column::required()).chain((0..nullable_texts).map(|_| Column::nullable()));
        Columns {
            texts: texts.collect(),
            ints: vec![
                Column::required(),
                Column::required(),
                Column::required(),
                Column::nullable(),
                Column::nullable(),
            ],
            small_ints: vec![Column::required(), Column::required()],
            doubles: vec![Column::required(), Column::nullable(), Column::required(), Column::nullable()],
            amount_paid: Column::required(),
            rows: 0,
        }
    }

    fn push(&mut self, row: &ExportLine<'_>) -> anyhow::Result<()> {
        let line = row.line;
        let text = |s: &str| ByteArray::from(s.as_bytes().to_vec());
        let json =
            |v: &serde_json::Value| (!v.is_null()).then(|| ByteArray::from(v.to_string().into_bytes()));
        for (i, value) in [
            line.id.as_str(),
            row.tenant,
            row.invoice_number,
            row.debtor_id,
            line.debtor.as_str(),
            line.channel.as_str(),
            line.policy_version.as_str(),
            row.currency,
        ]
        .into_iter()
        .enumerate()
        {
            self.texts[i].push(text(value));
        }
        for (i, value) in [&line.channels, &line.hours, &line.context].into_iter().enumerate() {
            self.texts[8 + i].push_option(json(value));
        }
        for (i, key) in ExportLine::CSV_CONTEXT.iter().enumerate() {
            let value = match &line.context[key] {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(text(s)),
                other => Some(text(&other.to_string())),
            };
            self.texts[11 + i].push_option(value);
        }
        self.ints[0].push(line.reminder_id);
        self.ints[1].push(row.case_id);
        self.ints[2].push(line.at.timestamp_micros());
        self.ints[3].push_option(line.sent_at.map(|at| at.timestamp_micros()));
        self.ints[4].push_option(row.decision.paid_at.map(|at| at.timestamp_micros()));
        self.small_ints[0].push(i32::from(line.hour));
        self.small_ints[1].push(i32::try_from(line.stage).context("stage")?);
        self.doubles[0].push(line.propensity);
        self.doubles[1].push_option(line.reward);
        self.doubles[2].push(row.cost_eur);
        self.doubles[3].push_option(row.hours_to_pay);
        self.amount_paid.push(decimal_bytes(row.decision.amount_paid)?);
        self.rows += 1;
        Ok(())
    }

    fn clear(&mut self) {
        self.texts.iter_mut().for_each(Column::clear);
        self.ints.iter_mut().for_each(Column::clear);
        self.small_ints.iter_mut().for_each(Column::clear);
        self.doubles.iter_mut().for_each(Column::clear);
        self.amount_paid.clear();
        self.rows = 0;
    }
}

/// `amount` as the 16 big-endian bytes of its unscaled value at [`AMOUNT_SCALE`].
fn decimal_bytes(amount: Decimal) -> anyhow::Result<FixedLenByteArray> {
    let mut scaled = amount.round_dp(AMOUNT_SCALE);
    scaled.rescale(AMOUNT_SCALE);
    if scaled.scale() != AMOUNT_SCALE {
        anyhow::bail!("amount_paid {amount} does not fit DECIMAL(38,{AMOUNT_SCALE})");
    }
    Ok(FixedLenByteArray::from(scaled.mantissa().to_be_bytes().to_vec()))
}

/// Writes rows into a Parquet file, a row group at a time.
pub struct ParquetSink<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    columns: Columns,
    slots: Vec<Slot>,
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new(out: W) -> anyhow::Result<Self> {
        let schema = Arc::new(parse_message_type(&schema()).context("the Parquet schema")?);
        let properties = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).build());
        Ok(ParquetSink {
            writer: SerializedFileWriter::new(out, schema, properties)?,
            columns: Columns::new(),
            slots: slots(),
        })
    }

    pub fn write(&mut self, row: &ExportLine<'_>) -> anyhow::Result<()> {
        self.columns.push(row)?;
        if self.columns.rows >= ROW_GROUP {
            self.flush_row_group()?;
        }
        Ok(())
    }

    fn flush_row_group(&mut self) -> anyhow::Result<()> {
        if self.columns.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        let mut slots = self.slots.iter();
        while let Some(mut column) = group.next_column()? {
            let slot = *slots.next().context("more Parquet columns than slots")?;
            let c = &self.columns;
            match slot {
                Slot::Text(i) => write(column.typed::<ByteArrayType>(), &c.texts[i])?,
                Slot::Int(i) => write(column.typed::<Int64Type>(), &c.ints[i])?,
                Slot::SmallInt(i) => write(column.typed::<Int32Type>(), &c.small_ints[i])?,
                Slot::Double(i) => write(column.typed::<DoubleType>(), &c.doubles[i])?,
                Slot::Amount => write(column.typed::<FixedLenByteArrayType>(), &c.amount_paid)?,
            }
            column.close()?;
        }
        group.close()?;
        self.columns.clear();
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.flush_row_group()?;
        self.writer.close()?;
        Ok(())
    }
}

fn write<T: parquet::data_type::DataType>(
    writer: &mut parquet::column::writer::ColumnWriterImpl<'_, T>,
    column: &Column<T::T>,
) -> anyhow::Result<()> {
    writer.write_batch(&column.values, column.defined.as_deref(), None)?;
    Ok(())
}
