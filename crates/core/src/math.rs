//! Logarithm and exponential with the same bits on every target. On wasm32 the standard
//! library's `f64::ln`/`exp` are the `libm` crate's (compiler-builtins ships it); natively they
//! are the platform's (glibc), which differ in the last bit now and then. The Python wheel
//! (native) must give the npm package's (wasm) numbers exactly, so values users see go through
//! `libm` everywhere.

#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}
