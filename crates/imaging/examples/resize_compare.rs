//! Why `fast_image_resize` and not `image`'s own resize: times both on the same RGB image,
//! natively, with fast_image_resize's SIMD on and off (wasm32 gets simd128, between the two).
//!
//!     cargo run --release -p mm-batcher-imaging --example resize_compare
use fast_image_resize::images::Image;
use fast_image_resize::{CpuExtensions, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::imageops::{self, FilterType as ImageFilter};
use image::RgbImage;
use std::time::Instant;

fn main() {
    let (w, h) = (1000u32, 800u32);
    let src = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    for (tw, th) in [(512u32, 512u32), (336, 336), (1400, 1120)] {
        let runs = 20;
        let t = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(imageops::resize(&src, tw, th, ImageFilter::Triangle));
        }
        let image_ms = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        let fir = |ext: Option<CpuExtensions>| {
            let mut resizer = Resizer::new();
            if let Some(ext) = ext {
                unsafe { resizer.set_cpu_extensions(ext) };
            }
            let src = Image::from_vec_u8(w, h, src.as_raw().clone(), PixelType::U8x3).unwrap();
            let mut dst = Image::new(tw, th, PixelType::U8x3);
            let options =
                ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
            let t = Instant::now();
            for _ in 0..runs {
                resizer.resize(&src, &mut dst, &options).unwrap();
            }
            t.elapsed().as_secs_f64() * 1000.0 / runs as f64
        };
        let (simd, scalar) = (fir(None), fir(Some(CpuExtensions::None)));
        println!(
            "{w}x{h} -> {tw}x{th} bilinear: image {image_ms:.2} ms, fast_image_resize {simd:.2} ms (SIMD), {scalar:.2} ms (no SIMD)"
        );
    }
}
