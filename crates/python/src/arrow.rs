//! Arrow in and Arrow out through the Arrow C data interface
//! (https://arrow.apache.org/docs/format/CDataInterface.html), with arrow-rs (`arrow-array`,
//! `ffi`) and the PyCapsule protocol: columns come in as the capsule pairs of
//! `__arrow_c_array__()`, imported without a copy (the buffers stay pyarrow's until released);
//! the plan goes out as a record batch built here and exported the same way ([`ArrowPlan`]), so
//! pyarrow wraps these buffers and no Python object per row ever exists.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{
    make_array, Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::{DataType, Field};
use mm_batcher_core::PlanError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods};

/// Problems found before planning (header reading): `(position, code, format, detail)`.
type KnownRow = (usize, String, Option<String>, String);

/// The plan's columns, in order (`mm_tokenize_batcher.arrow.PLAN_COLUMNS`), all nullable as
/// pyarrow's own tables and Spark's schemas are.
const PLAN_COLUMNS: [(&str, DataType); 9] = [
    ("row", DataType::Int64),
    ("buffer", DataType::Int64),
    ("batch", DataType::Int32),
    ("step", DataType::Int32),
    ("rank", DataType::Int32),
    ("resize_height", DataType::Int32),
    ("resize_width", DataType::Int32),
    ("code", DataType::Utf8),
    ("message", DataType::Utf8),
];

/// The plan of one buffer as an Arrow record batch held by Rust. Exported, without a copy,
/// through `__arrow_c_array__` (the PyCapsule protocol): `pyarrow.record_batch(plan)`.
#[pyclass(frozen, module = "mm_tokenize_batcher._native")]
pub struct ArrowPlan {
    batch: StructArray,
}

#[pymethods]
impl ArrowPlan {
    /// `(schema, array)` capsules of the plan (a struct array: one record batch). Each export
    /// shares the same buffers; `requested_schema` is not honoured (the protocol allows that).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let (array, schema) = to_ffi(&self.batch.to_data()).map_err(input_error)?;
        // pyarrow moves each struct out when it imports it (leaving it released); an unused
        // capsule releases it on drop (FFI_ArrowArray / FFI_ArrowSchema implement Drop).
        Ok((
            PyCapsule::new_with_value(py, schema, c"arrow_schema")?,
            PyCapsule::new_with_value(py, array, c"arrow_array")?,
        ))
    }

    fn __len__(&self) -> usize {
        self.batch.len()
    }

    /// The address of each column's value buffer (the test that pyarrow wraps these very
    /// buffers, not copies, compares them with pyarrow's `Buffer.address`).
    fn value_addresses(&self) -> Vec<usize> {
        self.batch
            .columns()
            .iter()
            .map(|c| {
                c.to_data()
                    .buffers()
                    .last()
                    .map_or(0, |b| b.as_ptr() as usize)
            })
            .collect()
    }
}

/// [`crate::plan_buffer`] for Arrow: `heights` and `widths` are the chunks of each size column
/// as `__arrow_c_array__()` capsule pairs (any integer or float type; nulls read as NaN, which
/// the core rejects as `INVALID_DIMENSIONS` naming the row), `rows` the chunks of the row number
/// column (any integer type; the buffer's order; absent: positions), `buffer` the value of the
/// plan's `buffer` column. `known`: problems found before (header reading), by position.
/// Returns the plan ([`ArrowPlan`]): planned rows in batch order, then rejects (`batch` -1).
#[pyfunction]
#[pyo3(signature = (strategy, options, buffer_options, heights, widths, rows=None, buffer=None, known=None))]
#[allow(clippy::too_many_arguments)]
pub fn plan_arrow_buffer<'py>(
    py: Python<'py>,
    strategy: &str,
    options: &Bound<'py, PyAny>,
    buffer_options: Option<&Bound<'py, PyAny>>,
    heights: Vec<Bound<'py, PyAny>>,
    widths: Vec<Bound<'py, PyAny>>,
    rows: Option<Vec<Bound<'py, PyAny>>>,
    buffer: Option<i64>,
    known: Option<Vec<KnownRow>>,
) -> PyResult<ArrowPlan> {
    let mut h = numbers(&import_chunks(&heights, "height")?, "height")?;
    let mut w = numbers(&import_chunks(&widths, "width")?, "width")?;
    if h.len() != w.len() {
        return Err(input_error(format!(
            "columns `height` and `width` differ in length ({} and {})",
            h.len(),
            w.len()
        )));
    }
    let mut known = known.unwrap_or_default();
    let rows = match rows {
        None => (0..h.len() as i64).collect(),
        Some(chunks) => {
            let rows = integers(&import_chunks(&chunks, "row")?, "row")?;
            if rows.len() != h.len() {
                return Err(input_error(format!(
                    "column `row` has {} values for {} sizes",
                    rows.len(),
                    h.len()
                )));
            }
            sort_by_row(rows, &mut h, &mut w, &mut known)
        }
    };
    let (planned, request) = crate::run_plan(
        py,
        strategy,
        options,
        buffer_options,
        &w,
        &h,
        None,
        &[],
        Some(known),
    )?;
    let rank = request.ranks.map_or(0, |r| r.rank);
    let dealt = &planned.dealt;
    let n = dealt.order.len() + planned.rejects.len();
    let mut out = Columns::with_capacity(n);
    let world = dealt.world_size.max(1);
    for b in (rank..dealt.offsets.len().saturating_sub(1)).step_by(world) {
        let (height, width) = dealt.sizes[b];
        let step = to_i32(b / world);
        for &k in &dealt.order[dealt.offsets[b] as usize..dealt.offsets[b + 1] as usize] {
            out.push(rows[k as usize], step, Some((height, width)), None);
        }
    }
    for reject in &planned.rejects {
        let row = rows[reject.index];
        let message = format!("row {row}: {reject}");
        out.push(row, -1, None, Some((reject.code.as_str(), message)));
    }
    Ok(ArrowPlan {
        batch: out.finish(buffer, to_i32(rank)).map_err(input_error)?,
    })
}

/// The plan's columns while they are filled.
struct Columns {
    rows: Vec<i64>,
    steps: Vec<i32>,
    heights: Vec<Option<i32>>,
    widths: Vec<Option<i32>>,
    codes: Vec<Option<&'static str>>,
    messages: Vec<Option<String>>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            rows: Vec::with_capacity(n),
            steps: Vec::with_capacity(n),
            heights: Vec::with_capacity(n),
            widths: Vec::with_capacity(n),
            codes: Vec::with_capacity(n),
            messages: Vec::with_capacity(n),
        }
    }

    fn push(
        &mut self,
        row: i64,
        step: i32,
        size: Option<(u32, u32)>,
        reject: Option<(&'static str, String)>,
    ) {
        self.rows.push(row);
        self.steps.push(step);
        self.heights.push(size.map(|(h, _)| h as i32));
        self.widths.push(size.map(|(_, w)| w as i32));
        let (code, message) = reject.unzip();
        self.codes.push(code);
        self.messages.push(message);
    }

    fn finish(
        self,
        buffer: Option<i64>,
        rank: i32,
    ) -> Result<StructArray, arrow_schema::ArrowError> {
        let n = self.rows.len();
        // One batch per step on a rank: `batch` and `step` are the same number.
        let steps: ArrayRef = Arc::new(Int32Array::from(self.steps));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(self.rows)),
            Arc::new(Int64Array::from(vec![buffer; n])),
            steps.clone(),
            steps,
            Arc::new(Int32Array::from(vec![rank; n])),
            Arc::new(Int32Array::from(self.heights)),
            Arc::new(Int32Array::from(self.widths)),
            Arc::new(StringArray::from(self.codes)),
            Arc::new(StringArray::from(self.messages)),
        ];
        let fields: Vec<Field> = PLAN_COLUMNS
            .iter()
            .map(|(name, t)| Field::new(*name, t.clone(), true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns)?;
        Ok(StructArray::from(batch))
    }
}

/// Sorts the buffer by row number (stable): sizes and `known` positions follow. Returns the
/// sorted row numbers.
fn sort_by_row(
    rows: Vec<i64>,
    heights: &mut Vec<f64>,
    widths: &mut Vec<f64>,
    known: &mut [KnownRow],
) -> Vec<i64> {
    if rows.windows(2).all(|p| p[0] <= p[1]) {
        return rows;
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i]);
    let mut position = vec![0; rows.len()];
    for (to, &from) in order.iter().enumerate() {
        position[from] = to;
    }
    *heights = order.iter().map(|&i| heights[i]).collect();
    *widths = order.iter().map(|&i| widths[i]).collect();
    for k in known.iter_mut() {
        k.0 = position[k.0];
    }
    known.sort_by_key(|k| k.0);
    order.iter().map(|&i| rows[i]).collect()
}

/// Imports each chunk's capsules (`__arrow_c_array__()`): the array struct is moved out of its
/// capsule (left released, so the capsule's destructor does nothing) and its buffers are
/// wrapped in place; they are released when the returned arrays are dropped.
fn import_chunks(chunks: &[Bound<'_, PyAny>], column: &str) -> PyResult<Vec<ArrayRef>> {
    chunks
        .iter()
        .map(|capsules| {
            let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) =
                capsules.extract()?;
            let schema = schema
                .pointer_checked(Some(c"arrow_schema"))?
                .cast::<FFI_ArrowSchema>();
            let array = array
                .pointer_checked(Some(c"arrow_array"))?
                .cast::<FFI_ArrowArray>();
            // SAFETY: the capsules hold live C data interface structs (checked by name), valid
            // while the capsules are (borrowed for this call). `from_raw` moves the array out
            // and marks the capsule's copy released; a released struct is refused by from_ffi.
            let data = unsafe {
                let schema: &FFI_ArrowSchema = schema.as_ref();
                let array = FFI_ArrowArray::from_raw(array.as_ptr());
                from_ffi(array, schema)
            }
            .map_err(|e| input_error(format!("column `{column}`: {e}")))?;
            Ok(make_array(data))
        })
        .collect()
}

macro_rules! primitive_values {
    ($array:expr, $column:expr, $to:ty, $kind:literal, [$($t:ty),*], [$($float:ty),*]) => {{
        let array: &dyn Array = $array;
        match array.data_type() {
            $(t if t == &<$t as arrow_array::types::ArrowPrimitiveType>::DATA_TYPE => array
                .as_primitive::<$t>()
                .iter()
                .map(|v| v.map(|v| v as $to).ok_or(()))
                .collect::<Vec<Result<$to, ()>>>(),)*
            $(t if t == &<$float as arrow_array::types::ArrowPrimitiveType>::DATA_TYPE => array
                .as_primitive::<$float>()
                .iter()
                .map(|v| v.map(|v| v as $to).ok_or(()))
                .collect::<Vec<Result<$to, ()>>>(),)*
            other => return Err(input_error(format!(
                "column `{}` must hold {}, got Arrow type {other}", $column, $kind
            ))),
        }
    }};
}

/// A size column's values as `f64` (any integer or float type), nulls as NaN.
fn numbers(chunks: &[ArrayRef], column: &str) -> PyResult<Vec<f64>> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        let values = primitive_values!(
            chunk.as_ref(),
            column,
            f64,
            "integers or floats",
            [
                Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
                UInt64Type
            ],
            [Float32Type, Float64Type]
        );
        out.extend(values.into_iter().map(|v| v.unwrap_or(f64::NAN)));
    }
    Ok(out)
}

/// The row number column's values (any integer type, no nulls).
fn integers(chunks: &[ArrayRef], column: &str) -> PyResult<Vec<i64>> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        let values = primitive_values!(
            chunk.as_ref(),
            column,
            i64,
            "integers",
            [
                Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
                UInt64Type
            ],
            []
        );
        for v in values {
            let position = out.len();
            out.push(v.map_err(|()| {
                input_error(format!(
                    "column `{column}` has a null at position {position}"
                ))
            })?);
        }
    }
    Ok(out)
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn input_error(message: impl ToString) -> PyErr {
    crate::to_py_error(PlanError::Input {
        message: message.to_string(),
    })
}
