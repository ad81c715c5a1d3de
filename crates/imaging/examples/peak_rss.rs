//! Peak resident memory of decoding one file, as a proxy for how far a call grows wasm memory
//! (which never shrinks). Run one process per file:
//!
//! ```text
//! cargo run -p mm-batcher-imaging --example peak_rss -- <file> [maxInputPixels]
//! ```
//!
//! Prints the outcome, VmHWM (peak RSS) before and after the call from /proc/self/status, and the
//! peak of bytes allocated during the call. Natively, untouched zeroed pages cost no RSS, so RSS
//! understates a failed huge allocation; wasm grows its memory for every byte allocated, touched or
//! not, so the allocation peak is the figure that estimates wasm growth.

use mm_batcher_imaging::{decode, Sample, Source, DEFAULT_MAX_INPUT_PIXELS};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bytes = std::fs::read(&args[0]).expect("file");
    let max = args
        .get(1)
        .map_or(DEFAULT_MAX_INPUT_PIXELS, |v| v.parse().unwrap());
    let before = peak_kib();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut rgb = Vec::new();
    let sample = Sample {
        index: 0,
        source: Source::Encoded(&bytes),
    };
    let outcome = decode(0, &sample, max, &mut rgb);
    let after = peak_kib();
    let peak_alloc = PEAK.load(Ordering::Relaxed) - base;
    let what = match &outcome {
        Ok(d) => format!("decoded {} x {}", d.width, d.height),
        Err(f) => format!("{}: {}", f.reject.code, f.reject),
    };
    println!(
        "{}: {} bytes; {what}; peak allocation during the call {} KiB; peak RSS {before} KiB -> {after} KiB (+{} KiB)",
        args[0],
        bytes.len(),
        peak_alloc / 1024,
        after - before
    );
}
