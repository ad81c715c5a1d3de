//! One pass over a buffer's images, in Rust: the forms a buffer almost always holds are read
//! here (PIL images without an EXIF block, `(height, width)` tuples of numbers, paths and
//! encoded bytes sorted out for the header readers), at a few C-API calls each, so planning from
//! Python costs about what planning does. Every other image (PIL images with EXIF, dicts, numpy
//! arrays, anything wrong) goes to `fallback`, the package's `image_size` in `_images.py`, which
//! alone decides those sizes and their messages.

use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};

/// Where image `i` went: a size, a problem, or a header reader's input.
#[derive(Default)]
pub struct Collected {
    pub widths: Vec<f64>,
    pub heights: Vec<f64>,
    /// `(index, code, detail)` for images `fallback` refused.
    pub problems: Vec<(usize, String, String)>,
    /// `(index, the sample's "image")` of the samples that have none (a missing key or a sample that
    /// is no mapping): `_images.py` words their problem.
    pub unsampled: Vec<usize>,
    pub files: Vec<Py<PyAny>>,
    pub file_at: Vec<usize>,
    pub encoded: Vec<Py<PyAny>>,
    pub encoded_at: Vec<usize>,
}

/// A plain number (int or float, not bool) as `f64`.
fn number(value: &Bound<'_, PyAny>) -> Option<f64> {
    if value.is_instance_of::<PyBool>() {
        return None;
    }
    if value.is_exact_instance_of::<PyInt>() || value.is_exact_instance_of::<PyFloat>() {
        return value.extract::<f64>().ok();
    }
    None
}

/// `(width, height)` of a PIL image that carries no EXIF block and is not a TIFF (the stored size
/// is the upright one); `None` for anything else.
fn plain_pil_size(image: &Bound<'_, PyAny>) -> Option<(f64, f64)> {
    let py = image.py();
    if !image.hasattr(pyo3::intern!(py, "getexif")).unwrap_or(false) {
        return None;
    }
    let size = image.getattr(pyo3::intern!(py, "size")).ok()?;
    let size = size.cast::<PyTuple>().ok()?;
    if size.len() != 2 {
        return None;
    }
    let (w, h) = (
        number(&size.get_item(0).ok()?)?,
        number(&size.get_item(1).ok()?)?,
    );
    let info = image.getattr(pyo3::intern!(py, "info")).ok()?;
    let info = info.cast::<PyDict>().ok()?;
    if info.contains(pyo3::intern!(py, "exif")).unwrap_or(true) {
        return None;
    }
    let format = image.getattr(pyo3::intern!(py, "format")).ok()?;
    if format.extract::<String>().ok().as_deref() == Some("TIFF") {
        return None;
    }
    Some((w, h))
}

/// `(width, height)` of a `(height, width)` tuple or list of two plain numbers.
fn pair_size(image: &Bound<'_, PyAny>) -> Option<(f64, f64)> {
    let (h, w) = if let Ok(t) = image.cast::<PyTuple>() {
        if t.len() != 2 {
            return None;
        }
        (t.get_item(0).ok()?, t.get_item(1).ok()?)
    } else if let Ok(l) = image.cast::<PyList>() {
        if l.len() != 2 {
            return None;
        }
        (l.get_item(0).ok()?, l.get_item(1).ok()?)
    } else {
        return None;
    };
    Some((number(&w)?, number(&h)?))
}

/// Reads `items` (a sequence: samples holding an `"image"` when `samples`, else images), sorting
/// each image into a size, a problem (from `fallback`), or the file and byte lists.
pub fn collect(
    items: &Bound<'_, PyAny>,
    samples: bool,
    path_like: &Bound<'_, PyAny>,
    fallback: &Bound<'_, PyAny>,
) -> PyResult<Collected> {
    let py = items.py();
    let n = items.len()?;
    let mut out = Collected {
        widths: vec![f64::NAN; n],
        heights: vec![f64::NAN; n],
        ..Collected::default()
    };
    let key = pyo3::intern!(py, "image");
    for i in 0..n {
        let item = items.get_item(i)?;
        let image = if !samples {
            item
        } else if let Ok(d) = item.cast::<PyDict>() {
            match d.get_item(key)? {
                Some(image) => image,
                None => {
                    out.unsampled.push(i);
                    continue;
                }
            }
        } else {
            match item.get_item(key) {
                Ok(image) => image,
                // What `item["image"]` raises for a sample without one; anything else is the
                // sample's own error, raised as it is.
                Err(e)
                    if e.is_instance_of::<PyKeyError>(py)
                        || e.is_instance_of::<PyTypeError>(py)
                        || e.is_instance_of::<PyIndexError>(py) =>
                {
                    out.unsampled.push(i);
                    continue;
                }
                Err(e) => return Err(e),
            }
        };
        if image.is_instance_of::<PyString>() {
            out.files.push(image.unbind());
            out.file_at.push(i);
            continue;
        }
        if image.is_instance_of::<PyBytes>()
            || image.is_instance_of::<PyByteArray>()
            || image.is_instance_of::<PyMemoryView>()
        {
            out.encoded.push(image.unbind());
            out.encoded_at.push(i);
            continue;
        }
        // Sizes first: `os.PathLike` is an ABC, whose isinstance check runs Python code.
        let size = match pair_size(&image).or_else(|| plain_pil_size(&image)) {
            Some(size) => size,
            None if image.is_instance(path_like)? => {
                out.files.push(image.unbind());
                out.file_at.push(i);
                continue;
            }
            None => {
                let found = fallback.call1((image,))?;
                let found = found.cast::<PyTuple>()?;
                let (a, b) = (found.get_item(0)?, found.get_item(1)?);
                if let Ok(code) = a.extract::<String>() {
                    out.problems.push((i, code, b.extract::<String>()?));
                    continue;
                }
                (a.extract::<f64>()?, b.extract::<f64>()?)
            }
        };
        out.widths[i] = size.0;
        out.heights[i] = size.1;
    }
    Ok(out)
}

/// `_native.collect_sizes(items, samples, path_like, fallback)`: [`collect`] as a tuple
/// `(widths, heights, problems, unsampled, files, file_at, encoded, encoded_at)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn collect_sizes(
    items: &Bound<'_, PyAny>,
    samples: bool,
    path_like: &Bound<'_, PyAny>,
    fallback: &Bound<'_, PyAny>,
) -> PyResult<(
    Vec<f64>,
    Vec<f64>,
    Vec<(usize, String, String)>,
    Vec<usize>,
    Vec<Py<PyAny>>,
    Vec<usize>,
    Vec<Py<PyAny>>,
    Vec<usize>,
)> {
    let c = collect(items, samples, path_like, fallback)?;
    Ok((
        c.widths,
        c.heights,
        c.problems,
        c.unsampled,
        c.files,
        c.file_at,
        c.encoded,
        c.encoded_at,
    ))
}
