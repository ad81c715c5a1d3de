//! Options as users write them (camelCase names, JS numbers), read once into typed values.
//!
//! Every options object of the library (planning, each strategy's own, ranks, carry-over,
//! packing, and imaging's tensor options) goes through one [`OptionReader`]: unknown names are
//! refused the same way, and every type or range error names the option and what it accepts.

use std::collections::BTreeMap;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use std::fmt;

/// One option value as a binding received it. Bindings drop `undefined` entries before this.
#[derive(Debug, Clone)]
pub enum OptionValue {
    /// `null`: "none" where an option allows it (see [`OptionReader::is_null`]), else a type error.
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<f64>),
    /// A plain object of options (for example imaging's `normalize: { mean, std }`).
    Map(BTreeMap<String, OptionValue>),
    /// Mixed arrays and anything else: always a type error, reported by name.
    Other,
}

/// Reads any value in one pass (`deserialize_any`): no variant is tried and failed, so reading
/// options creates no error objects (with serde-wasm-bindgen each one is a JS `Error`).
impl<'de> Deserialize<'de> for OptionValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = OptionValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an option value")
    }
    fn visit_unit<E>(self) -> Result<OptionValue, E> {
        Ok(OptionValue::Null)
    }
    fn visit_none<E>(self) -> Result<OptionValue, E> {
        Ok(OptionValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<OptionValue, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_bool<E>(self, v: bool) -> Result<OptionValue, E> {
        Ok(OptionValue::Bool(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<OptionValue, E> {
        Ok(OptionValue::Number(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<OptionValue, E> {
        Ok(OptionValue::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<OptionValue, E> {
        Ok(OptionValue::Number(v as f64))
    }
    fn visit_str<E>(self, v: &str) -> Result<OptionValue, E> {
        Ok(OptionValue::Text(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<OptionValue, E> {
        Ok(OptionValue::Text(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OptionValue, A::Error> {
        let mut numbers = Vec::new();
        let mut all_numbers = true;
        while let Some(item) = seq.next_element::<OptionValue>()? {
            match item {
                OptionValue::Number(x) => numbers.push(x),
                _ => all_numbers = false,
            }
        }
        Ok(if all_numbers {
            OptionValue::List(numbers)
        } else {
            OptionValue::Other
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OptionValue, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, OptionValue>()? {
            entries.insert(key, value);
        }
        Ok(OptionValue::Map(entries))
    }
}

impl OptionValue {
    fn type_name(&self) -> &'static str {
        match self {
            OptionValue::Null => "null",
            OptionValue::Bool(_) => "a boolean",
            OptionValue::Number(_) => "a number",
            OptionValue::Text(_) => "a string",
            OptionValue::List(_) => "an array",
            OptionValue::Map(_) => "an object",
            OptionValue::Other => "an array that is not all numbers",
        }
    }
}

pub type OptionMap = BTreeMap<String, OptionValue>;

/// An option the caller got wrong: which one, and what it accepts. Every options object of the
/// library (planning's and imaging's) reports this; planning wraps it in `PlanError::Option`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionError {
    pub option: String,
    pub message: String,
}

impl OptionError {
    pub fn new(option: &str, message: impl Into<String>) -> Self {
        OptionError {
            option: option.to_string(),
            message: message.into(),
        }
    }
}

/// "option `name` must be ..."
impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "option `{}` {}", self.option, self.message)
    }
}

impl std::error::Error for OptionError {}

/// JavaScript's `Number.MAX_SAFE_INTEGER`: the largest count a JS number holds exactly.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// Largest count of samples, batches or shapes (`2^31 - 1`).
pub const MAX_COUNT: f64 = 2_147_483_647.0;
/// Largest `multipleOf` / `patchSize` / `smartResize`'s `factor` (see [`OptionReader::multiple`]).
pub const MAX_MULTIPLE_OF: f64 = 1024.0;

/// Reads one options object. [`OptionReader::new`] refuses names the caller does not know.
#[derive(Debug, Clone, Copy)]
pub struct OptionReader<'a> {
    entries: &'a OptionMap,
}

impl<'a> OptionReader<'a> {
    /// `known` lists the accepted names (in groups, as they are declared); `what` says whose
    /// options they are, for the message ("of this strategy", "of toTensor").
    pub fn new(entries: &'a OptionMap, known: &[&[&str]], what: &str) -> Result<Self, OptionError> {
        let is_known = |name: &str| known.iter().any(|group| group.contains(&name));
        if let Some(unknown) = entries.keys().find(|k| !is_known(k)) {
            let mut names: Vec<&str> = known.iter().flat_map(|g| g.iter().copied()).collect();
            names.sort_unstable();
            names.dedup();
            return Err(OptionError::new(
                unknown,
                format!(
                    "is not an option {what}; known options: {}",
                    names.join(", ")
                ),
            ));
        }
        Ok(OptionReader { entries })
    }

    pub fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Whether the option is given as `null` (for options where that means "none").
    pub fn is_null(&self, name: &str) -> bool {
        matches!(self.entries.get(name), Some(OptionValue::Null))
    }

    /// A whole number in `min..=max`.
    pub fn integer(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, OptionError> {
        let Some(n) = self.number(name)? else {
            return Ok(None);
        };
        if n.fract() != 0.0 || n < min || n > max {
            return Err(OptionError::new(
                name,
                format!(
                    "must be a whole number {}, got {}",
                    range(min, max),
                    show(n)
                ),
            ));
        }
        Ok(Some(n))
    }

    /// A side multiple (`multipleOf`, `patchSize`, `factor`): a whole number from 1 to
    /// [`MAX_MULTIPLE_OF`]. Every side of a size is at least one multiple, so the multiple's
    /// square is the smallest area any image is resized to: 1024 (one megapixel at the least,
    /// about Qwen2-VL's whole `maxPixels`) is far above real patch x merge sizes (14 to 64, 448
    /// for tiles), and a larger one would blow a 1x1 image up to more than a million pixels.
    pub fn multiple(&self, name: &str) -> Result<Option<u32>, OptionError> {
        let Some(n) = self.number(name)? else {
            return Ok(None);
        };
        if n.fract() == 0.0 && n > MAX_MULTIPLE_OF {
            let (max, n) = (show(MAX_MULTIPLE_OF), show(n));
            return Err(OptionError::new(
                name,
                format!(
                    "must be a whole number from 1 to {max}, got {n}: every side is at least one \
                     multiple, so even a 1x1 image would be resized to {n} x {n}"
                ),
            ));
        }
        Ok(self.integer(name, 1.0, MAX_MULTIPLE_OF)?.map(|m| m as u32))
    }

    /// A number in (0, 1].
    pub fn fraction(&self, name: &str) -> Result<Option<f64>, OptionError> {
        let Some(x) = self.number(name)? else {
            return Ok(None);
        };
        if !(x > 0.0 && x <= 1.0) {
            return Err(OptionError::new(
                name,
                format!("must be above 0 and at most 1, got {}", show(x)),
            ));
        }
        Ok(Some(x))
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, OptionError> {
        match self.entries.get(name) {
            None => Ok(None),
            Some(OptionValue::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.type_error(name, "a boolean", other)),
        }
    }

    /// One of the named `choices`.
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, OptionError> {
        let Some(value) = self.entries.get(name) else {
            return Ok(None);
        };
        let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
        let expected = one_of(&names);
        match value {
            OptionValue::Text(t) => choices
                .iter()
                .find(|(n, _)| n == t)
                .map(|&(_, v)| Some(v))
                .ok_or_else(|| OptionError::new(name, format!("must be {expected}, got {t:?}"))),
            other => Err(OptionError::new(
                name,
                format!("must be {expected}, got {}", other.type_name()),
            )),
        }
    }

    /// One number (repeated) or exactly `N` numbers, each accepted by `ok` (described by `what`).
    pub fn triple(
        &self,
        name: &str,
        what: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<Option<[f64; 3]>, OptionError> {
        let values: Vec<f64> = match self.entries.get(name) {
            None => return Ok(None),
            Some(OptionValue::Number(x)) => vec![*x; 3],
            Some(OptionValue::List(v)) if v.len() == 1 => vec![v[0]; 3],
            Some(OptionValue::List(v)) if v.len() == 3 => v.clone(),
            Some(OptionValue::List(v)) => {
                return Err(OptionError::new(
                    name,
                    format!("must hold 1 or 3 numbers (R, G, B), got {}", v.len()),
                ))
            }
            Some(other) => return Err(self.type_error(name, "a number or [r, g, b]", other)),
        };
        if let Some(bad) = values.iter().find(|&&x| !ok(x)) {
            return Err(OptionError::new(
                name,
                format!("must hold {what}, got {}", show(*bad)),
            ));
        }
        Ok(Some([values[0], values[1], values[2]]))
    }

    /// A list of numbers of any length.
    pub fn list(&self, name: &str) -> Result<Option<&'a [f64]>, OptionError> {
        match self.entries.get(name) {
            None => Ok(None),
            Some(OptionValue::List(v)) => Ok(Some(v)),
            Some(other) => Err(self.type_error(name, "an array of numbers", other)),
        }
    }

    fn number(&self, name: &str) -> Result<Option<f64>, OptionError> {
        match self.entries.get(name) {
            None => Ok(None),
            Some(OptionValue::Number(n)) if n.is_finite() => Ok(Some(*n)),
            Some(OptionValue::Number(n)) => Err(OptionError::new(
                name,
                format!("must be a finite number, got {}", show(*n)),
            )),
            Some(other) => Err(self.type_error(name, "a number", other)),
        }
    }

    fn type_error(&self, name: &str, expected: &str, got: &OptionValue) -> OptionError {
        let shown = match got {
            OptionValue::Text(t) => format!("the string {t:?}"),
            other => other.type_name().to_string(),
        };
        OptionError::new(name, format!("must be {expected}, got {shown}"))
    }
}

/// A number as JavaScript prints it (`Infinity`, `1e12`, `0.5`), so messages read like the input.
pub fn show(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if x.abs() >= 1e21 {
        format!("{x:e}").replace("e", "e+")
    } else {
        format!("{x}")
    }
}

fn range(min: f64, max: f64) -> String {
    if max == MAX_SAFE_INTEGER {
        format!("from {} to 2^53 - 1", show(min))
    } else {
        format!("from {} to {}", show(min), show(max))
    }
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
pub fn one_of(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, OptionValue)]) -> OptionMap {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn unknown_names_are_refused_with_the_known_ones() {
        let m = map(&[("batchsize", OptionValue::Number(1.0))]);
        let e = OptionReader::new(&m, &[&["batchSize"]], "of this strategy").unwrap_err();
        assert_eq!(
            e.to_string(),
            "option `batchsize` is not an option of this strategy; known options: batchSize"
        );
    }

    #[test]
    fn messages_name_the_range_and_show_numbers_as_js_does() {
        let m = map(&[
            ("a", OptionValue::Number(1e12)),
            ("b", OptionValue::Number(f64::INFINITY)),
            ("c", OptionValue::Text("100".into())),
        ]);
        let r = OptionReader::new(&m, &[&["a", "b", "c"]], "").unwrap();
        assert_eq!(
            r.integer("a", 1.0, 1e6).unwrap_err().to_string(),
            "option `a` must be a whole number from 1 to 1000000, got 1000000000000"
        );
        assert_eq!(
            r.integer("b", 1.0, 10.0).unwrap_err().to_string(),
            "option `b` must be a finite number, got Infinity"
        );
        assert_eq!(
            r.integer("c", 1.0, 10.0).unwrap_err().to_string(),
            "option `c` must be a number, got the string \"100\""
        );
    }

    #[test]
    fn a_multiple_too_large_says_what_it_would_do() {
        let m = map(&[
            ("multipleOf", OptionValue::Number(65536.0)),
            ("patchSize", OptionValue::Number(1024.0)),
            ("factor", OptionValue::Number(0.5)),
        ]);
        let r = OptionReader::new(&m, &[&["multipleOf", "patchSize", "factor"]], "").unwrap();
        let e = r.multiple("multipleOf").unwrap_err();
        assert_eq!(e.option, "multipleOf");
        assert_eq!(
            e.to_string(),
            "option `multipleOf` must be a whole number from 1 to 1024, got 65536: every side is at \
             least one multiple, so even a 1x1 image would be resized to 65536 x 65536"
        );
        assert_eq!(r.multiple("patchSize").unwrap(), Some(1024));
        assert_eq!(
            r.multiple("factor").unwrap_err().to_string(),
            "option `factor` must be a whole number from 1 to 1024, got 0.5"
        );
    }

    #[test]
    fn choices_list_every_name() {
        let m = map(&[("mode", OptionValue::Text("fit".into()))]);
        let r = OptionReader::new(&m, &[&["mode"]], "").unwrap();
        let e = r
            .choice("mode", &[("a", 1), ("b", 2), ("c", 3)])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "option `mode` must be \"a\", \"b\" or \"c\", got \"fit\""
        );
    }
}
