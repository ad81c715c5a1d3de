//! Arrow columns read through the Arrow C data interface (the PyCapsules of
//! `__arrow_c_array__`: https://arrow.apache.org/docs/format/CDataInterface.html), without a copy
//! on the Python side and without an Arrow library here: a numeric column's value buffer is read
//! in place. Nulls read as NaN, which the core rejects as `INVALID_DIMENSIONS` naming the row.

use std::ffi::{c_char, c_void, CStr};

use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods};

#[repr(C)]
struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

#[repr(C)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

/// Appends one Arrow array's values (any integer or floating type) to `out` as `f64`; nulls as
/// NaN. `capsules` is what `__arrow_c_array__()` returned (schema, array); the capsules keep
/// ownership (their destructors release the structs), so nothing is moved or freed here.
pub fn append_numbers(
    capsules: &Bound<'_, PyAny>,
    column: &str,
    out: &mut Vec<f64>,
) -> PyResult<()> {
    let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) = capsules.extract()?;
    let schema = schema
        .pointer_checked(Some(c"arrow_schema"))?
        .cast::<ArrowSchema>();
    let array = array
        .pointer_checked(Some(c"arrow_array"))?
        .cast::<ArrowArray>();
    // SAFETY: the capsules hold live ArrowSchema / ArrowArray structs (checked by name), valid
    // while the capsules are (they are borrowed for this call); released structs are refused.
    unsafe {
        let (schema, array) = (schema.as_ref(), array.as_ref());
        if schema.release.is_none() || array.release.is_none() || schema.format.is_null() {
            return Err(wrong_type(column, "a released Arrow array"));
        }
        let format = CStr::from_ptr(schema.format).to_string_lossy();
        if array.n_buffers < 2 || array.buffers.is_null() || array.length < 0 || array.offset < 0 {
            return Err(wrong_type(column, &format!("Arrow type {format:?}")));
        }
        let (n, offset) = (array.length as usize, array.offset as usize);
        let validity = *array.buffers as *const u8;
        let values = *array.buffers.add(1);
        let valid = |i: usize| {
            array.null_count == 0 || validity.is_null() || {
                let bit = offset + i;
                *validity.add(bit / 8) >> (bit % 8) & 1 == 1
            }
        };
        macro_rules! read {
            ($t:ty) => {{
                let values = values as *const $t;
                out.extend((0..n).map(|i| {
                    if valid(i) {
                        *values.add(offset + i) as f64
                    } else {
                        f64::NAN
                    }
                }));
            }};
        }
        match format.as_ref() {
            "c" => read!(i8),
            "C" => read!(u8),
            "s" => read!(i16),
            "S" => read!(u16),
            "i" => read!(i32),
            "I" => read!(u32),
            "l" => read!(i64),
            "L" => read!(u64),
            "f" => read!(f32),
            "g" => read!(f64),
            other => return Err(wrong_type(column, &format!("Arrow type {other:?}"))),
        }
    }
    Ok(())
}

fn wrong_type(column: &str, got: &str) -> PyErr {
    crate::to_py_error(mm_batcher_core::PlanError::Input {
        message: format!("column `{column}` must hold integers or floats, got {got}"),
    })
}
