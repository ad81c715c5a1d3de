//! Where an image goes in the canvas: the source rectangle to read and the box to fill.

use crate::Mode;

/// `crop`: source rectangle `[left, top, width, height]` (fractional, in source pixels);
/// `content`: destination box `[x, y, width, height]` in the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub crop: [f64; 4],
    pub content: [u32; 4],
}

/// Layout of a `w x h` image in an `height x width` canvas.
/// - `Stretch`: the whole image fills the canvas.
/// - `Letterbox`: scaled by `min(W / w, H / h)`, sides rounded (at least 1), centred (extra pixel
///   of an odd margin goes right / bottom); the rest is padding.
/// - `Crop`: scaled by `max(W / w, H / h)` to cover the canvas, centre crop (fractional source box,
///   so no rounding shift).
pub fn layout(w: u32, h: u32, height: u32, width: u32, mode: Mode) -> Placement {
    let (wf, hf, cw, ch) = (w as f64, h as f64, width as f64, height as f64);
    let full = [0.0, 0.0, wf, hf];
    match mode {
        Mode::Stretch => Placement {
            crop: full,
            content: [0, 0, width, height],
        },
        Mode::Letterbox => {
            let s = (cw / wf).min(ch / hf);
            let bw = ((wf * s).round() as u32).clamp(1, width);
            let bh = ((hf * s).round() as u32).clamp(1, height);
            Placement {
                crop: full,
                content: [(width - bw) / 2, (height - bh) / 2, bw, bh],
            }
        }
        Mode::Crop => {
            let s = (cw / wf).max(ch / hf);
            let (sw, sh) = ((cw / s).min(wf), (ch / s).min(hf));
            Placement {
                crop: [(wf - sw) / 2.0, (hf - sh) / 2.0, sw, sh],
                content: [0, 0, width, height],
            }
        }
    }
}
