//! Where an image goes in the canvas: the source rectangle to read and the box to fill.

use crate::Mode;

/// `crop`: source rectangle `[left, top, width, height]` (fractional, in source pixels);
/// `content`: destination box `[x, y, width, height]` in the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub crop: [f64; 4],
    pub content: [u32; 4],
}

/// How an image is fitted besides its mode: `no_upscale` caps every scale at 1 (an image smaller
/// than the canvas keeps its own size, centred, the rest padding); `crop_at` places a `Crop`
/// window inside the slack of each axis (`[x, y]`, 0 = left / top, 0.5 = centre, below 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub mode: Mode,
    pub no_upscale: bool,
    pub crop_at: [f64; 2],
}

impl Fit {
    /// The mode alone: upscaling allowed, centred crop.
    pub fn centred(mode: Mode) -> Fit {
        Fit {
            mode,
            no_upscale: false,
            crop_at: [0.5, 0.5],
        }
    }
}

/// Layout of a `w x h` image in an `height x width` canvas.
/// - `Stretch`: the whole image fills the canvas.
/// - `Letterbox`: scaled by `min(W / w, H / h)`, sides rounded (at least 1), centred (extra pixel
///   of an odd margin goes right / bottom); the rest is padding.
/// - `Crop`: scaled by `max(W / w, H / h)` to cover the canvas, crop window at `crop_at` of the
///   slack (centred by default; fractional source box, so no rounding shift).
///
/// With `no_upscale`, a scale above 1 becomes 1 (per axis for `Stretch`): the image keeps its
/// pixels, centred in the canvas, and the box it fills is smaller than the canvas.
pub fn layout(w: u32, h: u32, height: u32, width: u32, fit: Fit) -> Placement {
    let (wf, hf, cw, ch) = (w as f64, h as f64, width as f64, height as f64);
    let full = [0.0, 0.0, wf, hf];
    let centred = |bw: u32, bh: u32| [(width - bw) / 2, (height - bh) / 2, bw, bh];
    let [fx, fy] = fit.crop_at;
    match fit.mode {
        Mode::Stretch if fit.no_upscale && (w < width || h < height) => Placement {
            crop: full,
            content: centred(w.min(width), h.min(height)),
        },
        Mode::Stretch => Placement {
            crop: full,
            content: [0, 0, width, height],
        },
        Mode::Crop if fit.no_upscale && (cw / wf).max(ch / hf) > 1.0 => {
            // At scale 1: the canvas' worth of the image (or all of it, on a short axis).
            let (bw, bh) = (w.min(width), h.min(height));
            let (sw, sh) = (f64::from(bw), f64::from(bh));
            Placement {
                crop: [(wf - sw) * fx, (hf - sh) * fy, sw, sh],
                content: centred(bw, bh),
            }
        }
        Mode::Letterbox => {
            let s = (cw / wf).min(ch / hf);
            let s = if fit.no_upscale { s.min(1.0) } else { s };
            let bw = ((wf * s).round() as u32).clamp(1, width);
            let bh = ((hf * s).round() as u32).clamp(1, height);
            Placement {
                crop: full,
                content: centred(bw, bh),
            }
        }
        Mode::Crop => {
            let s = (cw / wf).max(ch / hf);
            let (sw, sh) = ((cw / s).min(wf), (ch / s).min(hf));
            // (x * 0.5 is x / 2 exactly: centred crops are unchanged.)
            Placement {
                crop: [(wf - sw) * fx, (hf - sh) * fy, sw, sh],
                content: [0, 0, width, height],
            }
        }
    }
}
