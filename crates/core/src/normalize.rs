//! Pixel normalisations of vision encoders, by name: imaging's `normalize` option and the model
//! presets read them here, so each value is written once.

/// Per-channel (R, G, B) mean and std of a normalisation, on pixel values scaled to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Normalize {
    pub mean: [f64; 3],
    pub std: [f64; 3],
}

/// The named normalisations `normalize` accepts.
pub const NORMALIZE_PRESETS: &[(&str, Normalize)] = &[
    (
        "clip",
        Normalize {
            mean: [0.48145466, 0.4578275, 0.40821073],
            std: [0.26862954, 0.26130258, 0.27577711],
        },
    ),
    (
        "siglip",
        Normalize {
            mean: [0.5; 3],
            std: [0.5; 3],
        },
    ),
    (
        "imagenet",
        Normalize {
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        },
    ),
    (
        "none",
        Normalize {
            mean: [0.0; 3],
            std: [1.0; 3],
        },
    ),
];
