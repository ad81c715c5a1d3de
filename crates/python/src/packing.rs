//! `TokenPacker` for Python: the core's packing (`crates/core/src/packing.rs`), its options read
//! by the core's option reader (snake_case names turned into the core's, as for batchers).

use mm_batcher_core::packing::{self, PackOptions};
use mm_batcher_core::Samples;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{known_rejects, option_map, rejects, to_py_error};

/// Checks packing options (`max_tokens`, `patch_size`, `multiple_of`, `min_pixels`,
/// `max_pixels`, `algorithm`, `skip_invalid`) without packing.
#[pyfunction]
pub(crate) fn check_pack_options(options: &Bound<'_, PyAny>) -> PyResult<()> {
    PackOptions::parse(&option_map(options)?)
        .map(|_| ())
        .map_err(to_py_error)
}

/// Packs images at their own sizes into token budgets. Returns a dict of lists: `order`,
/// `offsets` (pack `p` holds `order[offsets[p]:offsets[p + 1]]`), `heights`, `widths`, `tokens`
/// (per image, following `order`), `padding`, `rejects`.
#[pyfunction]
#[pyo3(signature = (options, widths, heights, known=None))]
pub(crate) fn pack<'py>(
    py: Python<'py>,
    options: &Bound<'py, PyAny>,
    widths: Vec<f64>,
    heights: Vec<f64>,
    known: Option<Vec<(usize, String, Option<String>, String)>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options = PackOptions::parse(&option_map(options)?).map_err(to_py_error)?;
    let known = known_rejects(known.unwrap_or_default())?;
    let packed = py
        .detach(|| {
            let mut samples = Samples::new(&widths, &heights);
            samples.known = &known;
            packing::pack(&options, samples)
        })
        .map_err(to_py_error)?;
    let out = PyDict::new(py);
    out.set_item("order", &packed.order)?;
    out.set_item("offsets", &packed.offsets)?;
    let (size_heights, size_widths): (Vec<u32>, Vec<u32>) = packed.sizes.iter().copied().unzip();
    out.set_item("heights", size_heights)?;
    out.set_item("widths", size_widths)?;
    out.set_item("tokens", &packed.tokens)?;
    out.set_item("padding", packed.padding(options.budget.max_tokens))?;
    out.set_item("rejects", rejects(py, &packed.rejects)?)?;
    Ok(out)
}
