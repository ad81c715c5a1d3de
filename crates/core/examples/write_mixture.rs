//! Writes the GENERATED realistic mixture (`common::realistic_mixture`, 5,000 sizes, seed 2024:
//! the one the native `real_data` tool and the real-data tests use) to
//! `bench/data/mixture_generated.json`, so the TypeScript real-data suite plans the same sizes.
//!
//!     cargo run --release -p mm-batcher-core --example write_mixture

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let sizes = common::realistic_mixture(common::PROTOCOL_COUNT, 2024);
    let value = serde_json::json!({
        "source": "GENERATED, not real data: crates/core/tests/common/mod.rs `realistic_mixture(5000, 2024)` (camera photos at common sizes, web photos, phone portraits, receipts, document scans, wide charts and banners, screenshots, thumbnails), written by `cargo run --release -p mm-batcher-core --example write_mixture`",
        "label": "generated mixture",
        "generated": true,
        "sizes": sizes.iter().map(|&(h, w)| [h, w]).collect::<Vec<_>>(),
    });
    let path = format!(
        "{}/../../bench/data/mixture_generated.json",
        env!("CARGO_MANIFEST_DIR")
    );
    // One size per line keeps diffs readable.
    let mut text = String::from("{\n");
    for key in ["source", "label", "generated"] {
        text += &format!(
            " {}: {},\n",
            serde_json::to_string(key).unwrap(),
            value[key]
        );
    }
    text += " \"sizes\": [\n";
    let lines: Vec<String> = sizes
        .iter()
        .map(|&(h, w)| format!("  [{h}, {w}]"))
        .collect();
    text += &lines.join(",\n");
    text += "\n ]\n}\n";
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!("wrote {} sizes to {path}", sizes.len());
}
