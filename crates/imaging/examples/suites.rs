//! Conformance harness over public image test suites: every file through header reading and
//! decoding, compared with reference results (Pillow and sharp) recorded as JSON.
//!
//! ```text
//! cargo run --release -p mm-batcher-imaging --example suites -- <root> <pillow.json> [sharp.json] [--list]
//! ```
//!
//! Each reference JSON maps a path relative to `<root>` to `{w, h, format, load: "ok" | "err: ..",
//! open: "err: .."}`. A file is *valid* when every reference decodes it, *damaged* when every
//! reference refuses it (at open or load), *disputed* otherwise. Per format it prints: files tried,
//! header mismatches (header read, size differs from the references), valid files refused, damaged
//! files accepted (decoded without error), crashes (panics), and disagreements between our header
//! and our decoder.

use mm_batcher_core::{read_header, ImageFormat};
use mm_batcher_imaging::{decode, Sample, Source, DEFAULT_MAX_INPUT_PIXELS};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[derive(Default)]
struct Row {
    tried: usize,
    header_mismatch: usize,
    valid_refused: usize,
    damaged_accepted: usize,
    crashes: usize,
    disputed: usize,
    self_disagree: usize,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn load(path: Option<&String>) -> serde_json::Map<String, serde_json::Value> {
    path.map(|p| {
        serde_json::from_str(&std::fs::read_to_string(p).expect("reference file")).expect("JSON")
    })
    .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let list = args.iter().any(|a| a == "--list");
    // `--json=<file>`: our own outcome per file (header and decode), for building expected.json.
    let json_out = args
        .iter()
        .find_map(|a| a.strip_prefix("--json=").map(String::from));
    let mut ours = serde_json::Map::new();
    let args: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let root = PathBuf::from(
        args.first()
            .expect("usage: suites <root> <pillow.json> [sharp.json]"),
    );
    let refs: Vec<_> = args[1..].iter().map(|p| load(Some(p))).collect();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut table: BTreeMap<&'static str, Row> = BTreeMap::new();
    let mut rgb = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(&path).unwrap();
        // A reference that lacks the format altogether (sharp's prebuilt libvips has no BMP
        // loader) has no say on that file.
        let entries: Vec<&serde_json::Value> = refs
            .iter()
            .filter_map(|r| r.get(&rel))
            .filter(|e| {
                // Likewise a reference refusing a valid variant it lacks (Pillow: "Unsupported
                // BMP bitfields layout", "Unsupported BMP pixel depth").
                !e.get("open")
                    .or(e.get("load"))
                    .and_then(|o| o.as_str())
                    .is_some_and(|o| o.to_lowercase().contains("unsupported"))
            })
            .collect();
        let ref_format = entries
            .iter()
            .find_map(|e| e.get("format").and_then(|f| f.as_str()))
            .map(str::to_ascii_uppercase);
        let format = match ImageFormat::sniff(&bytes) {
            Some(f) => f.as_str(),
            None => match ref_format.as_deref() {
                Some("PNG") => "PNG",
                Some("JPEG") => "JPEG",
                Some("WEBP") => "WebP",
                Some("GIF") => "GIF",
                Some("BMP") => "BMP",
                _ => continue,
            },
        };
        let row = table.entry(format).or_default();
        row.tried += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let header = read_header(&bytes, true);
            let sample = Sample {
                index: 0,
                source: Source::Encoded(&bytes),
            };
            let decoded = decode(0, &sample, DEFAULT_MAX_INPUT_PIXELS, &mut rgb);
            (header, decoded)
        }));
        let Ok((header, decoded)) = outcome else {
            row.crashes += 1;
            println!("CRASH {rel}");
            continue;
        };
        let outcome_json = |r: Result<(u32, u32), (&str, String)>| match r {
            Ok((w, h)) => serde_json::json!({ "width": w, "height": h }),
            Err((code, cause)) => serde_json::json!({ "error": code, "cause": cause }),
        };
        ours.insert(
            rel.clone(),
            serde_json::json!({
                "header": outcome_json(header.as_ref().map(|h| (h.width, h.height)).map_err(|e| (e.code().as_str(), e.to_string()))),
                "decode": outcome_json(decoded.as_ref().map(|d| (d.width, d.height)).map_err(|e| (e.reject.code.as_str(), e.reject.to_string()))),
            }),
        );
        let ok = |e: &&serde_json::Value| e.get("load").and_then(|l| l.as_str()) == Some("ok");
        let valid = !entries.is_empty() && entries.iter().all(ok);
        let damaged = !entries.is_empty() && !entries.iter().any(ok);
        if !valid && !damaged {
            row.disputed += 1;
        }
        let ref_size = entries
            .iter()
            .find_map(|e| Some((e.get("w")?.as_u64()? as u32, e.get("h")?.as_u64()? as u32)));
        let mut notes = Vec::new();
        if let (Ok(h), Some((w, hh))) = (&header, ref_size) {
            if (h.width, h.height) != (w, hh) {
                row.header_mismatch += 1;
                notes.push(format!("header {}x{} ref {w}x{hh}", h.width, h.height));
            }
        }
        if let (Ok(h), Ok(d)) = (&header, &decoded) {
            if (h.width, h.height) != (d.width, d.height) {
                row.self_disagree += 1;
                notes.push(format!(
                    "header {}x{} decode {}x{}",
                    h.width, h.height, d.width, d.height
                ));
            }
        }
        if valid {
            if let Err(e) = &header {
                row.valid_refused += 1;
                notes.push(format!("valid, header refused: {} {e}", e.code()));
            } else if let Err(e) = &decoded {
                row.valid_refused += 1;
                notes.push(format!(
                    "valid, decode refused: {} {}",
                    e.reject.code, e.reject
                ));
            }
        }
        if damaged && decoded.is_ok() {
            row.damaged_accepted += 1;
            let why: Vec<String> = entries
                .iter()
                .map(|e| {
                    e.get("load")
                        .or(e.get("open"))
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            notes.push(format!("damaged, decoded ({})", why.join(" | ")));
        }
        if list && !notes.is_empty() {
            println!("{format}\t{rel}\t{}", notes.join("; "));
        } else if list && !valid && !damaged {
            let ours = match &decoded {
                Ok(_) => "decoded".to_string(),
                Err(e) => format!("{} {}", e.reject.code, e.reject),
            };
            println!("{format}\t{rel}\tdisputed; ours: {ours}");
        }
    }
    if let Some(path) = json_out {
        std::fs::write(path, serde_json::to_string_pretty(&ours).unwrap()).unwrap();
    }
    println!(
        "\n| format | files tried | header mismatches | valid files refused | damaged files accepted | crashes | disputed (references disagree) | header vs decode disagree |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut total = Row::default();
    for (f, r) in &table {
        println!(
            "| {f} | {} | {} | {} | {} | {} | {} | {} |",
            r.tried,
            r.header_mismatch,
            r.valid_refused,
            r.damaged_accepted,
            r.crashes,
            r.disputed,
            r.self_disagree
        );
        total.tried += r.tried;
        total.header_mismatch += r.header_mismatch;
        total.valid_refused += r.valid_refused;
        total.damaged_accepted += r.damaged_accepted;
        total.crashes += r.crashes;
        total.disputed += r.disputed;
        total.self_disagree += r.self_disagree;
    }
    println!(
        "| all | {} | {} | {} | {} | {} | {} | {} |",
        total.tried,
        total.header_mismatch,
        total.valid_refused,
        total.damaged_accepted,
        total.crashes,
        total.disputed,
        total.self_disagree
    );
}
