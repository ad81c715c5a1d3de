//! Seeded random crop and flip, `noUpscale`, and Qwen2-VL's patches.

use image::RgbImage;
use mm_batcher_imaging::*;

/// A photo-like test image with no symmetry: every pixel differs from its mirror.
fn image(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 7 + y * 3) as u8,
            (x * x / 5 + y) as u8,
            (200 - (x + 2 * y) % 180) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn spec(json: &str) -> TensorSpec {
    TensorSpec::parse(&serde_json::from_str(json).unwrap()).unwrap()
}

fn error(json: &str) -> String {
    TensorSpec::parse(&serde_json::from_str(json).unwrap())
        .unwrap_err()
        .to_string()
}

fn run(bytes: &[u8], index: usize, spec: &TensorSpec) -> TensorBatch {
    let samples = [Sample {
        index,
        source: Source::Encoded(bytes),
    }];
    batch_tensor(&samples, spec, false).unwrap()
}

fn u8s(t: &TensorBatch) -> &[u8] {
    t.data.as_u8().unwrap()
}

#[test]
fn random_crop_is_seeded_per_epoch_and_index() {
    let png = image(90, 40);
    let base = r#""size": [32, 32], "mode": "crop", "dtype": "uint8""#;
    let centred = run(&png, 0, &spec(&format!("{{{base}}}")));
    let crop = |seed: u64, epoch: u64, index: usize| {
        let s = spec(&format!(
            r#"{{{base}, "randomCrop": true, "augmentSeed": {seed}, "epoch": {epoch}}}"#
        ));
        u8s(&run(&png, index, &s)).to_vec()
    };
    let a = crop(1, 0, 3);
    assert_eq!(
        a,
        crop(1, 0, 3),
        "the same (seed, epoch, index), the same bytes"
    );
    let others = [crop(1, 1, 3), crop(2, 0, 3), crop(1, 0, 4)];
    for other in &others {
        assert_ne!(&a, other, "another epoch, seed or image, another window");
    }
    assert!(others.iter().chain([&a]).all(|c| c != u8s(&centred)));
    // The window moves along the long axis only: the rows are the image's whole height.
    let (p, flip) = spec(&format!(r#"{{{base}, "randomCrop": true}}"#)).placement(90, 40, 3);
    assert!(!flip);
    assert_eq!((p.crop[1], p.crop[2], p.crop[3]), (0.0, 40.0, 40.0));
    assert!((0.0..50.0).contains(&p.crop[0]));
    // Over many images the offsets spread over the whole slack.
    let s = spec(&format!(
        r#"{{{base}, "randomCrop": true, "augmentSeed": 9}}"#
    ));
    let xs: Vec<f64> = (0..400).map(|i| s.placement(90, 40, i).0.crop[0]).collect();
    assert!(xs.iter().any(|&x| x < 5.0) && xs.iter().any(|&x| x > 45.0));
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    assert!((mean - 25.0).abs() < 2.5, "mean offset {mean}");
}

#[test]
fn random_flip_mirrors_about_half_the_images_exactly() {
    let png = image(48, 30);
    let plain = spec(r#"{"size": [30, 48], "dtype": "uint8"}"#);
    let flipping = spec(
        r#"{"size": [30, 48], "dtype": "uint8", "randomFlip": true, "augmentSeed": 5, "epoch": 2}"#,
    );
    let original = run(&png, 0, &plain);
    let mut flipped = 0;
    for index in 0..64 {
        let t = run(&png, index, &flipping);
        if u8s(&t) == u8s(&original) {
            continue;
        }
        flipped += 1;
        // Exactly the original mirrored, row by row.
        for (row, orig) in u8s(&t).chunks(48 * 3).zip(u8s(&original).chunks(48 * 3)) {
            let mirrored: Vec<u8> = orig.chunks(3).rev().flatten().copied().collect();
            assert_eq!(row, mirrored.as_slice());
        }
        assert_eq!(flipping.placement(48, 30, index).1, true);
    }
    assert!((20..=44).contains(&flipped), "{flipped} of 64 flipped");
    // Another epoch flips other images.
    let next = spec(
        r#"{"size": [30, 48], "dtype": "uint8", "randomFlip": true, "augmentSeed": 5, "epoch": 3}"#,
    );
    let flips = |s: &TensorSpec| {
        (0..64)
            .map(|i| s.placement(48, 30, i).1)
            .collect::<Vec<_>>()
    };
    assert_ne!(flips(&flipping), flips(&next));
}

#[test]
fn no_upscale_keeps_small_images_at_their_size() {
    let png = image(20, 10);
    let small = |mode: &str| {
        let s = spec(&format!(
            r#"{{"size": [32, 48], "dtype": "uint8", "mode": "{mode}", "noUpscale": true, "padValue": 7}}"#
        ));
        run(&png, 0, &s)
    };
    let exact = run(&png, 0, &spec(r#"{"size": [10, 20], "dtype": "uint8"}"#));
    for mode in ["stretch", "letterbox", "crop"] {
        let t = small(mode);
        // Centred at its own size, the rest padding; the pixels are the image's own.
        assert_eq!(t.content_boxes, vec![[14, 11, 20, 10]], "{mode}");
        let data = u8s(&t);
        for y in 0..10 {
            let row = &data[((11 + y) * 48 + 14) * 3..((11 + y) * 48 + 34) * 3];
            assert_eq!(row, &u8s(&exact)[y * 60..(y + 1) * 60], "{mode} row {y}");
        }
        assert!(data[..3].iter().all(|&v| v == 7));
    }
    // Larger than the canvas on one axis: that axis shrinks (stretch) or is cropped (crop).
    let wide = image(80, 10);
    let s = spec(r#"{"size": [32, 48], "dtype": "uint8", "mode": "stretch", "noUpscale": true}"#);
    assert_eq!(run(&wide, 0, &s).content_boxes, vec![[0, 11, 48, 10]]);
    let s = spec(r#"{"size": [32, 48], "dtype": "uint8", "mode": "crop", "noUpscale": true}"#);
    let p = s.placement(80, 10, 0).0;
    assert_eq!(
        (p.crop, p.content),
        ([16.0, 0.0, 48.0, 10.0], [0, 11, 48, 10])
    );
    // An image that only shrinks is laid out as without the option.
    let big = image(96, 64);
    for mode in ["stretch", "letterbox", "crop"] {
        let with = spec(&format!(
            r#"{{"size": [32, 48], "mode": "{mode}", "noUpscale": true}}"#
        ));
        let without = spec(&format!(r#"{{"size": [32, 48], "mode": "{mode}"}}"#));
        assert_eq!(run(&big, 0, &with), run(&big, 0, &without), "{mode}");
    }
}

#[test]
fn augment_options_are_checked() {
    assert!(
        error(r#"{"size": [8, 8], "randomCrop": true}"#).contains("applies only with mode: 'crop'")
    );
    assert!(error(r#"{"size": [8, 8], "epoch": 1}"#)
        .contains("`epoch` applies only with `randomCrop: true` or `randomFlip: true`"));
    assert!(
        error(r#"{"size": [8, 8], "augmentSeed": 1, "noUpscale": true}"#)
            .starts_with("option `augmentSeed`")
    );
    assert!(error(r#"{"size": [8, 8], "randomFlip": 1}"#).starts_with("option `randomFlip`"));
    assert!(
        error(r#"{"size": [56, 56], "patches": true, "dtype": "uint8"}"#)
            .contains("dtype 'float32' only")
    );
    assert!(error(r#"{"size": [56, 42], "patches": true}"#).contains("whole merged patches of 28"));
    assert!(error(r#"{"size": [56, 56], "patches": {"merge": 2}}"#).starts_with("option `merge`"));
    assert!(error(r#"{"size": [56, 56], "patches": 1}"#).starts_with("option `patches`"));
    let s = spec(
        r#"{"size": [32, 32], "patches": {"patchSize": 16, "mergeSize": 1, "temporalPatchSize": 1}}"#,
    );
    assert_eq!(s.patches.unwrap().row_len(), 3 * 16 * 16);
    let s = spec(r#"{"size": [56, 56], "patchSize": 28, "patches": {"mergeSize": 1}}"#);
    assert_eq!(s.patches.unwrap().patch_size, 28);
}

/// The processor's reshape and permute, written the way `Qwen2VLImageProcessor` writes them (a
/// 9-axis view, `permute(0, 3, 6, 4, 7, 2, 1, 5, 8)`, a 2-axis view), over generic strides:
/// an independent statement of the layout [`patchify`] must match.
fn reference_patches(nchw: &[f32], h: usize, w: usize, p: usize, m: usize, t: usize) -> Vec<f32> {
    // One image repeated over t frames: [grid_t = 1, t, c, gh/m, m, p, gw/m, m, p].
    let (gh, gw) = (h / p, w / p);
    let dims = [1, t, 3, gh / m, m, p, gw / m, m, p];
    let index_of = |i: [usize; 9]| {
        let [_, _frame, c, by, my, py, bx, mx, px] = i;
        c * h * w + ((by * m + my) * p + py) * w + (bx * m + mx) * p + px
    };
    let perm = [0, 3, 6, 4, 7, 2, 1, 5, 8];
    let out_dims: Vec<usize> = perm.iter().map(|&a| dims[a]).collect();
    let total: usize = out_dims.iter().product();
    let mut out = Vec::with_capacity(total);
    for flat in 0..total {
        let mut rest = flat;
        let mut permuted = [0; 9];
        for k in (0..9).rev() {
            permuted[k] = rest % out_dims[k];
            rest /= out_dims[k];
        }
        let mut source = [0; 9];
        for (k, &a) in perm.iter().enumerate() {
            source[a] = permuted[k];
        }
        out.push(nchw[index_of(source)]);
    }
    out
}

#[test]
fn patches_follow_the_processors_permutation() {
    for (h, w, p, m, t) in [
        (56, 84, 14, 2, 2),
        (28, 28, 14, 2, 2),
        (12, 18, 3, 2, 1),
        (8, 16, 4, 1, 3),
    ] {
        let values: Vec<f32> = (0..2 * 3 * h * w).map(|v| v as f32).collect();
        let layout = PatchLayout {
            patch_size: p as u32,
            merge_size: m as u32,
            temporal_patch_size: t as u32,
        };
        let got = patchify(&values, 2, h as u32, w as u32, layout);
        let per_image = 3 * h * w;
        let expected: Vec<f32> = values
            .chunks(per_image)
            .flat_map(|image| reference_patches(image, h, w, p, m, t))
            .collect();
        assert_eq!(got, expected, "{h} x {w}, patch {p}, merge {m}, frames {t}");
        assert_eq!(got.len(), 2 * (h / p) * (w / p) * layout.row_len());
    }
}

#[test]
fn a_patched_batch_is_the_nchw_batch_rearranged() {
    let (a, b) = (image(90, 40), image(33, 70));
    let samples = [
        Sample {
            index: 4,
            source: Source::Encoded(&a),
        },
        Sample {
            index: 9,
            source: Source::Encoded(&b),
        },
    ];
    let nchw = spec(r#"{"size": [56, 84], "normalize": "clip", "filter": "bicubic"}"#);
    let patched =
        spec(r#"{"size": [56, 84], "normalize": "clip", "filter": "bicubic", "patches": true}"#);
    let x = batch_tensor(&samples, &nchw, false).unwrap();
    let y = batch_tensor(&samples, &patched, false).unwrap();
    assert_eq!(y.shape(), vec![2 * 4 * 6, 1176]);
    assert_eq!(y.grid_thw(), vec![[1, 4, 6], [1, 4, 6]]);
    assert_eq!(
        y.data.as_f32().unwrap(),
        patchify(x.data.as_f32().unwrap(), 2, 56, 84, QWEN2_VL_PATCHES).as_slice()
    );
    // The first row: channel 0, frame 0, the top-left 14 x 14 square; frame 1 repeats it.
    let row = &y.data.as_f32().unwrap()[..1176];
    let plane = &x.data.as_f32().unwrap()[..56 * 84];
    assert_eq!(&row[..14], &plane[..14]);
    assert_eq!(&row[14..28], &plane[84..98]);
    assert_eq!(&row[..196], &row[196..392]);
}
