//! Parquet files read back as JSON rows, for the tests that check what `--format parquet`
//! wrote (`tests/parquet.rs`, `tests/failed_runs.rs`).

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};
use std::path::Path;

/// One cell as JSON: timestamps as seconds since the epoch (as the JSON report has them),
/// dictionary strings as strings, lists as arrays.
pub fn cell(a: &dyn Array, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Int64 => a
            .as_primitive::<arrow_array::types::Int64Type>()
            .value(i)
            .into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Float64 => a
            .as_primitive::<arrow_array::types::Float64Type>()
            .value(i)
            .into(),
        DataType::Boolean => a.as_boolean().value(i).into(),
        DataType::Utf8 => a.as_string::<i32>().value(i).into(),
        DataType::Dictionary(k, v) => {
            assert_eq!((&**k, &**v), (&DataType::Int32, &DataType::Utf8));
            let d = a.as_dictionary::<Int32Type>();
            let key = d.keys().value(i) as usize;
            d.values().as_string::<i32>().value(key).into()
        }
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) => {
            assert_eq!(&**tz, "UTC");
            let us = a.as_primitive::<TimestampMicrosecondType>().value(i);
            (us as f64 / 1e6).into()
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>().value(i);
            Value::Array((0..l.len()).map(|j| cell(&l, j)).collect())
        }
        t => panic!("unexpected column type {t:?}"),
    }
}

/// A Parquet file's rows as JSON objects keyed by column name, and how many row groups it has.
pub fn read(path: &Path) -> (Vec<Map<String, Value>>, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("a Parquet file");
    let groups = builder.metadata().num_row_groups();
    let mut rows = Vec::new();
    for batch in builder.build().expect("reader") {
        let batch: RecordBatch = batch.expect("a batch");
        let schema = batch.schema();
        for i in 0..batch.num_rows() {
            let mut row = Map::new();
            for (f, col) in schema.fields().iter().zip(batch.columns()) {
                let col: &ArrayRef = col;
                row.insert(f.name().clone(), cell(col.as_ref(), i));
            }
            rows.push(row);
        }
    }
    (rows, groups)
}
