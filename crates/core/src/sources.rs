//! Options of the readers that take sizes from file paths and URLs (`imageSizesFromFiles`,
//! `imageSizesFromUrls`). The reading itself is the binding's (file system, `fetch`); the header
//! ladder is [`mm_batcher_formats::ladder`], read pass by pass with its `header_pass`.

use crate::defaults;
use crate::error::PlanError;
use crate::options::{OptionMap, OptionReader};

/// Which reader: files (`concurrency`) or URLs (`concurrency`, `timeoutMs`). Both also take the
/// JS-only `signal` (and URLs `fetch`), which the binding keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Files,
    Urls,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceOptions {
    /// Most files or requests in flight at once (files: default 32; URLs: default 16).
    pub concurrency: usize,
    /// URLs: a request (each pass) that has not delivered its bytes by then is abandoned and the
    /// URL rejected with `TIMEOUT` (default 30,000 ms).
    pub timeout_ms: Option<f64>,
    /// Most bytes read from one source for its header (default 8 MiB); a header not found
    /// within them is a reject that says so.
    pub max_bytes: f64,
    /// URLs: most redirects followed per request (default 5).
    pub max_redirects: Option<usize>,
}

const MAX_CONCURRENCY: f64 = 4096.0;
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;
/// `maxBytes` must hold the ladder's first rung; at most 2^31 bytes (a JS typed array's length).
const MIN_MAX_BYTES: f64 = 2048.0;
const MAX_MAX_BYTES: f64 = 2_147_483_648.0;
const MAX_REDIRECTS: f64 = 100.0;

impl SourceOptions {
    pub fn parse(kind: SourceKind, entries: &OptionMap) -> Result<Self, PlanError> {
        let (names, what): (&[&str], &str) = match kind {
            SourceKind::Files => (
                &["concurrency", "maxBytes", "signal"],
                "of imageSizesFromFiles",
            ),
            SourceKind::Urls => (
                &[
                    "concurrency",
                    "timeoutMs",
                    "maxBytes",
                    "maxRedirects",
                    "signal",
                    "fetch",
                    "allowRedirect",
                ],
                "of imageSizesFromUrls",
            ),
        };
        let options = OptionReader::new(entries, &[names], what)?;
        let concurrency = options.integer("concurrency", 1.0, MAX_CONCURRENCY)?;
        let max_bytes = options
            .integer("maxBytes", MIN_MAX_BYTES, MAX_MAX_BYTES)?
            .unwrap_or(defaults::SOURCE_MAX_BYTES);
        Ok(match kind {
            SourceKind::Files => SourceOptions {
                concurrency: concurrency.map_or(defaults::FILE_CONCURRENCY, |c| c as usize),
                timeout_ms: None,
                max_bytes,
                max_redirects: None,
            },
            SourceKind::Urls => SourceOptions {
                concurrency: concurrency.map_or(defaults::URL_CONCURRENCY, |c| c as usize),
                timeout_ms: Some(
                    options
                        .integer("timeoutMs", 1.0, MAX_TIMEOUT_MS)?
                        .unwrap_or(defaults::URL_TIMEOUT_MS),
                ),
                max_bytes,
                max_redirects: Some(
                    options
                        .integer("maxRedirects", 0.0, MAX_REDIRECTS)?
                        .map_or(defaults::URL_MAX_REDIRECTS, |r| r as usize),
                ),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OptionValue;

    #[test]
    fn defaults_and_checks() {
        let none = OptionMap::new();
        assert_eq!(
            SourceOptions::parse(SourceKind::Urls, &none).unwrap(),
            SourceOptions {
                concurrency: 16,
                timeout_ms: Some(30_000.0),
                max_bytes: 8.0 * 1024.0 * 1024.0,
                max_redirects: Some(5),
            }
        );
        assert_eq!(
            SourceOptions::parse(SourceKind::Files, &none)
                .unwrap()
                .concurrency,
            32
        );
        let mut small = OptionMap::new();
        small.insert("maxBytes".into(), OptionValue::Number(100.0));
        assert!(SourceOptions::parse(SourceKind::Files, &small)
            .unwrap_err()
            .to_string()
            .contains("maxBytes"));
        let mut bad = OptionMap::new();
        bad.insert("timeoutMs".into(), OptionValue::Number(0.0));
        assert!(SourceOptions::parse(SourceKind::Urls, &bad)
            .unwrap_err()
            .to_string()
            .contains("timeoutMs"));
        assert!(SourceOptions::parse(SourceKind::Files, &bad)
            .unwrap_err()
            .to_string()
            .contains("not an option of imageSizesFromFiles"));
    }
}
