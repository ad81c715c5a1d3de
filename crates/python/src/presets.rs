//! Model presets and `preset_from_config` for Python: the core's table and rules
//! (`crates/core/src/presets.rs`), as dicts with snake_case names. Nothing is decided here.

use mm_batcher_core::presets::{
    self as core_presets, ConfigOptions, ConfigValue, Preset, PresetError, PresetNormalize,
    PresetOption, PRESET_OPTIONS,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::{snake_case, snake_message, BatcherError};

/// Every built-in preset, in order, as [`preset_dict`]s.
#[pyfunction]
pub(crate) fn presets(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for p in core_presets::presets() {
        out.append(preset_dict(py, &p)?)?;
    }
    Ok(out)
}

/// The built-in preset named `name`; `BatcherError` (`INVALID_OPTION`, option `preset`) listing
/// the names for any other value.
#[pyfunction]
pub(crate) fn preset<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let p = core_presets::preset_named(&config_value(name)).map_err(|e| preset_error(&e, ""))?;
    preset_dict(py, &p)
}

/// A preset's batcher options (snake_case, for `**`): of the built-in preset named `preset`, or
/// picked from a preset dict (one [`preset_from_config`] made) by the core's list of fields.
#[pyfunction]
pub(crate) fn preset_options<'py>(
    py: Python<'py>,
    preset: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    if preset.is_instance_of::<PyString>() || !preset.hasattr("get")? {
        let p =
            core_presets::preset_named(&config_value(preset)).map_err(|e| preset_error(&e, ""))?;
        for (name, value) in p.options() {
            match value {
                PresetOption::Number(n) => out.set_item(snake_case(name), number(py, n)?)?,
                PresetOption::Text(s) => out.set_item(snake_case(name), s)?,
            }
        }
        return Ok(out);
    }
    for name in PRESET_OPTIONS {
        let key = snake_case(name);
        let value = preset.call_method1("get", (key.as_str(),))?;
        if !value.is_none() {
            out.set_item(key, value)?;
        }
    }
    Ok(out)
}

/// A preset from a model's parsed `preprocessor_config.json` (a dict); `name` and `patch_size`
/// as the npm package's `{ name, patchSize }`.
#[pyfunction]
#[pyo3(signature = (config, name=None, patch_size=None))]
pub(crate) fn preset_from_config<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    name: Option<&Bound<'py, PyAny>>,
    patch_size: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let prefix = "preset_from_config: ";
    let mut given = Vec::new();
    if let Some(n) = name.filter(|n| !n.is_none()) {
        given.push(("name".to_owned(), config_value(n)));
    }
    if let Some(p) = patch_size.filter(|p| !p.is_none()) {
        given.push(("patchSize".to_owned(), config_value(p)));
    }
    let options = ConfigOptions::read(Some(&ConfigValue::Map(given)))
        .map_err(|e| preset_error(&e, prefix))?;
    let p = core_presets::preset_from_config(&config_value(config), &options)
        .map_err(|e| preset_error(&e, prefix))?;
    preset_dict(py, &p)
}

/// A preset as a dict: `name`, `description`, `patch_size`, `multiple_of`, `min_pixels`?,
/// `max_pixels`?, `sizing`?, `native_size`? (`(height, width)`), `rescale`, `normalize` (a
/// normalisation's name for a built-in, `{"mean", "std"}` for one made from a config), `mean`,
/// `std` (3-tuples), `sources` (a tuple).
fn preset_dict<'py>(py: Python<'py>, p: &Preset) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &p.name)?;
    d.set_item("description", &p.description)?;
    d.set_item("patch_size", number(py, p.patch_size)?)?;
    d.set_item("multiple_of", number(py, p.multiple_of)?)?;
    if let Some(n) = p.min_pixels {
        d.set_item("min_pixels", number(py, n)?)?;
    }
    if let Some(n) = p.max_pixels {
        d.set_item("max_pixels", number(py, n)?)?;
    }
    if let Some(s) = p.sizing {
        d.set_item("sizing", s)?;
    }
    if let Some([h, w]) = p.native_size {
        d.set_item(
            "native_size",
            PyTuple::new(py, [number(py, h)?, number(py, w)?])?,
        )?;
    }
    d.set_item("rescale", p.rescale)?;
    let triple = |v: [f64; 3]| PyTuple::new(py, v);
    match p.normalize {
        PresetNormalize::Named(name) => d.set_item("normalize", name)?,
        PresetNormalize::Values => {
            let values = PyDict::new(py);
            values.set_item("mean", triple(p.mean)?)?;
            values.set_item("std", triple(p.std)?)?;
            d.set_item("normalize", values)?;
        }
    }
    d.set_item("mean", triple(p.mean)?)?;
    d.set_item("std", triple(p.std)?)?;
    d.set_item("sources", PyTuple::new(py, &p.sources)?)?;
    Ok(d)
}

/// A count as a Python `int` when whole (the core holds counts as JS numbers), else a float.
fn number(py: Python<'_>, n: f64) -> PyResult<Bound<'_, PyAny>> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        Ok((n as i64).into_pyobject(py)?.into_any())
    } else {
        Ok(n.into_pyobject(py)?.into_any())
    }
}

/// A Python value as the core reads a parsed JSON value (dicts keep their order). Anything
/// else that `float()` takes is a number (numpy scalars); other objects are their `str()`.
fn config_value(v: &Bound<'_, PyAny>) -> ConfigValue {
    if v.is_none() {
        ConfigValue::Null
    } else if let Ok(b) = v.cast::<PyBool>() {
        ConfigValue::Bool(b.is_true())
    } else if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
        v.extract::<f64>()
            .map_or(ConfigValue::Null, ConfigValue::Number)
    } else if let Ok(s) = v.cast::<PyString>() {
        ConfigValue::Text(s.to_cow().map(|s| s.into_owned()).unwrap_or_default())
    } else if let Ok(d) = v.cast::<PyDict>() {
        ConfigValue::Map(
            d.iter()
                .map(|(k, x)| {
                    (
                        k.str().map(|s| s.to_string()).unwrap_or_default(),
                        config_value(&x),
                    )
                })
                .collect(),
        )
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items = v
            .try_iter()
            .map(|it| {
                it.filter_map(Result::ok)
                    .map(|x| config_value(&x))
                    .collect()
            })
            .unwrap_or_default();
        ConfigValue::List(items)
    } else if let Ok(n) = v.extract::<f64>() {
        ConfigValue::Number(n)
    } else {
        ConfigValue::Text(v.str().map(|s| s.to_string()).unwrap_or_default())
    }
}

/// A raised `BatcherError` from a preset error: the message after `prefix`, with the npm
/// package's option names in Python's spelling.
fn preset_error(error: &PresetError, prefix: &str) -> PyErr {
    let message = snake_message(&error.message).replace("pass { patchSize }", "pass patch_size=");
    Python::attach(|py| {
        let err = BatcherError::new_err(format!("{prefix}{message}"));
        let value = err.value(py);
        let _ = value.setattr("code", error.code().as_str());
        let _ = value.setattr("index", py.None());
        let _ = value.setattr("option", error.option.as_deref().map(snake_case));
        let _ = value.setattr("format", py.None());
        let _ = value.setattr("detail", py.None());
        err
    })
}
