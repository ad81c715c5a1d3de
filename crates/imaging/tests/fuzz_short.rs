//! The CI fuzz run: a fixed number of deterministic mutants of the suite fixtures through header
//! reading and decode + resize: 20,000 execs (about 5 s on one free core; capped at 50 s). The long run is `scripts/fuzz.sh`.

#[path = "../examples/fuzz.rs"]
#[allow(dead_code)]
mod fuzz;

use std::path::PathBuf;
use std::time::Duration;

#[test]
fn mutants_never_panic_or_hang() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/suites");
    let seeds = fuzz::seeds(&root);
    assert!(seeds.len() > 300);
    let r = fuzz::run(
        &seeds,
        20_251_126,
        fuzz::Target::Both,
        20_000,
        Duration::from_secs(50),
        None,
    );
    // The mutants are the same on every run; a slow machine may stop early at the time cap.
    eprintln!("fuzz_short: {} execs, slowest {:?}", r.execs, r.slowest);
    assert!(r.panics.is_empty(), "panics: {:?}", r.panics);
    assert!(r.slow.is_empty(), "slow execs: {:?}", r.slow);
    assert!(
        r.execs >= 1_000,
        "only {} execs in the time budget",
        r.execs
    );
}
