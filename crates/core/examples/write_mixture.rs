//! Writes the GENERATED size lists the real-data suite plans beside the real ones, so that the
//! TypeScript suite (`bench/real-data.ts`) plans the same sizes as the native tool and the tests:
//!
//! - `bench/data/mixture_generated.json`: `common::realistic_mixture(5000, 2024)`;
//! - `bench/data/{imagenet,receipts,webphotos}proxy_generated.json`: `common::proxy_datasets(5000,
//!   7)`, stand-ins for the three kinds of real set the issue keeps back.
//!
//!     cargo run --release -p mm-batcher-core --example write_mixture

#[path = "../tests/common/mod.rs"]
mod common;

fn write(file: &str, label: &str, source: &str, sizes: &[(u32, u32)]) {
    let path = format!(
        "{}/../../bench/data/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    // One size per line keeps diffs readable.
    let mut text = String::from("{\n");
    text += &format!(" \"source\": {},\n", serde_json::to_string(source).unwrap());
    text += &format!(" \"label\": {},\n", serde_json::to_string(label).unwrap());
    text += " \"generated\": true,\n \"sizes\": [\n";
    let lines: Vec<String> = sizes
        .iter()
        .map(|&(h, w)| format!("  [{h}, {w}]"))
        .collect();
    text += &lines.join(",\n");
    text += "\n ]\n}\n";
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!("wrote {} sizes to {path}", sizes.len());
}

fn main() {
    write(
        "mixture_generated",
        "generated mixture",
        "GENERATED, not real data: crates/core/tests/common/mod.rs `realistic_mixture(5000, 2024)` (camera photos at common sizes, web photos, phone portraits, receipts, document scans, wide charts and banners, screenshots, thumbnails), written by `cargo run --release -p mm-batcher-core --example write_mixture`",
        &common::realistic_mixture(common::PROTOCOL_COUNT, 2024),
    );
    let files = [
        "imagenetproxy_generated",
        "receiptsproxy_generated",
        "webphotosproxy_generated",
    ];
    let labels = [
        "generated ImageNet-like proxy",
        "generated receipts proxy",
        "generated web-photos proxy",
    ];
    for ((data, file), label) in common::proxy_datasets(common::PROTOCOL_COUNT, 7)
        .into_iter()
        .zip(files)
        .zip(labels)
    {
        let source = format!(
            "GENERATED, not real data: crates/core/tests/common/mod.rs `proxy_datasets(5000, 7)`, \"{}\" (a stand-in for a held-out kind of real set, shaped after public descriptions of such sets), written by `cargo run --release -p mm-batcher-core --example write_mixture`",
            data.name
        );
        write(file, label, &source, &data.sizes);
    }
}
