//! The VP8 loop filter on 16 pixels of an edge at once (vendored addition, not upstream).
//!
//! Same arithmetic as the per-pixel functions in `loop_filter.rs` (RFC 6386 section 15), written
//! branch-free on 16 lanes of `u8` with the `wide` crate, which compiles to wasm `simd128`, to
//! SSE2 on x86-64 and NEON on aarch64, and to plain arrays elsewhere. Pixels along one edge are
//! independent, so filtering 16 of them at once gives the per-pixel results exactly (the tests
//! below compare both on random and real-range data). An edge between rows is filtered on 16
//! columns loaded as rows; an edge between columns loads 16 rows of 8 pixels and transposes them.
//! Chroma edges are 8 pixels long: U fills lanes 0-7 and V lanes 8-15, as libwebp does.

use wide::{i16x8, i8x16, u8x16};

/// Which of the three edge filters, with its thresholds (computed as in `Vp8Decoder::loop_filter`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum EdgeFilter {
    /// The simple filter (frame filter type 1): 2 pixels each side.
    Simple { edge_limit: u8 },
    /// The normal filter on an edge between subblocks inside a macroblock.
    Subblock {
        hev_threshold: u8,
        interior_limit: u8,
        edge_limit: u8,
    },
    /// The normal filter on an edge between macroblocks: 3 pixels each side.
    Macroblock {
        hev_threshold: u8,
        interior_limit: u8,
        edge_limit: u8,
    },
}

/// The 8 pixels across an edge, p3 p2 p1 p0 | q0 q1 q2 q3, each holding 16 positions along it.
type Taps = [u8x16; 8];
const P3: usize = 0;
const P2: usize = 1;
const P1: usize = 2;
const P0: usize = 3;
const Q0: usize = 4;
const Q1: usize = 5;
const Q2: usize = 6;
const Q3: usize = 7;

#[inline(always)]
fn abs_diff(a: u8x16, b: u8x16) -> u8x16 {
    a.saturating_sub(b) | b.saturating_sub(a)
}

/// u8 to the filter's signed domain (value - 128), and back.
#[inline(always)]
fn signed(v: u8x16) -> i8x16 {
    (v ^ u8x16::splat(0x80)).cast_signed()
}

#[inline(always)]
fn unsigned(v: i8x16) -> u8x16 {
    v.cast_unsigned() ^ u8x16::splat(0x80)
}

/// `|p0 - q0| * 2 + |p1 - q1| / 2 <= edge_limit`, all lanes at once. The sum saturates at 255,
/// which stays above every edge limit the decoder makes (at most 193).
#[inline(always)]
fn simple_threshold(t: &Taps, edge_limit: u8) -> u8x16 {
    let d0 = abs_diff(t[P0], t[Q0]);
    let d1 = abs_diff(t[P1], t[Q1]).unbounded_shr_scalar(1);
    d0.saturating_add(d0)
        .saturating_add(d1)
        .simd_le(u8x16::splat(edge_limit))
}

#[inline(always)]
fn normal_threshold(t: &Taps, interior_limit: u8, edge_limit: u8) -> u8x16 {
    let interior = abs_diff(t[P3], t[P2])
        .max(abs_diff(t[P2], t[P1]))
        .max(abs_diff(t[P1], t[P0]))
        .max(abs_diff(t[Q3], t[Q2]))
        .max(abs_diff(t[Q2], t[Q1]))
        .max(abs_diff(t[Q1], t[Q0]));
    simple_threshold(t, edge_limit) & interior.simd_le(u8x16::splat(interior_limit))
}

#[inline(always)]
fn high_edge_variance(t: &Taps, threshold: u8) -> u8x16 {
    abs_diff(t[P1], t[P0])
        .max(abs_diff(t[Q1], t[Q0]))
        .simd_gt(u8x16::splat(threshold))
}

/// `c(c(p1 - q1) + 3 * (q0 - p0))`, the outer taps only where `outer` is set. Adding a saturated
/// `q0 - p0` three times with saturation equals clamping the exact sum (once a partial sum
/// saturates, the rest keep it saturated the same way).
#[inline(always)]
fn base_delta(p1: i8x16, p0: i8x16, q0: i8x16, q1: i8x16, outer: i8x16) -> i8x16 {
    let d = q0.saturating_sub(p0);
    (p1.saturating_sub(q1) & outer)
        .saturating_add(d)
        .saturating_add(d)
        .saturating_add(d)
}

/// The common adjustment of p0 and q0 by `a` (zero in lanes left alone); returns `c(a + 4) >> 3`.
#[inline(always)]
fn adjust_middle(p0: &mut i8x16, q0: &mut i8x16, a: i8x16) -> i8x16 {
    let a4 = a.saturating_add(i8x16::splat(4)).unbounded_shr_scalar(3);
    let a3 = a.saturating_add(i8x16::splat(3)).unbounded_shr_scalar(3);
    *q0 = q0.saturating_sub(a4);
    *p0 = p0.saturating_add(a3);
    a4
}

/// `c((k * w + 63) >> 7)` for the macroblock filter's three taps, through 16-bit lanes.
#[inline(always)]
fn macroblock_taps(w: i8x16) -> [i8x16; 3] {
    // w's bytes in the high half of 16-bit lanes, shifted down: sign-extended w.
    let wu = w.cast_unsigned();
    let lo: i16x8 = wide::bytemuck::cast(u8x16::unpack_low(u8x16::ZERO, wu));
    let hi: i16x8 = wide::bytemuck::cast(u8x16::unpack_high(u8x16::ZERO, wu));
    let (lo, hi) = (lo.unbounded_shr_scalar(8), hi.unbounded_shr_scalar(8));
    [27i16, 18, 9].map(|k| {
        let tap = |v: i16x8| (v * i16x8::splat(k) + i16x8::splat(63)).unbounded_shr_scalar(7);
        i8x16::from_i16x16_saturate(wide::bytemuck::cast([tap(lo), tap(hi)]))
    })
}

/// Filters the taps in place.
#[inline(always)]
fn filter(f: EdgeFilter, t: &mut Taps) {
    let (mut p1, mut p0, mut q0, mut q1) =
        (signed(t[P1]), signed(t[P0]), signed(t[Q0]), signed(t[Q1]));
    let all = i8x16::splat(-1);
    match f {
        EdgeFilter::Simple { edge_limit } => {
            let mask = simple_threshold(t, edge_limit).cast_signed();
            let a = base_delta(p1, p0, q0, q1, all) & mask;
            adjust_middle(&mut p0, &mut q0, a);
        }
        EdgeFilter::Subblock {
            hev_threshold,
            interior_limit,
            edge_limit,
        } => {
            let mask = normal_threshold(t, interior_limit, edge_limit).cast_signed();
            let hev = high_edge_variance(t, hev_threshold).cast_signed();
            let a = base_delta(p1, p0, q0, q1, hev) & mask;
            let a4 = adjust_middle(&mut p0, &mut q0, a);
            // Without high edge variance, p1 and q1 move by half as much.
            let outer = (a4 + i8x16::splat(1)).unbounded_shr_scalar(1) & (mask & !hev);
            q1 = q1.saturating_sub(outer);
            p1 = p1.saturating_add(outer);
        }
        EdgeFilter::Macroblock {
            hev_threshold,
            interior_limit,
            edge_limit,
        } => {
            let mask = normal_threshold(t, interior_limit, edge_limit).cast_signed();
            let hev = high_edge_variance(t, hev_threshold).cast_signed();
            let w = base_delta(p1, p0, q0, q1, all) & mask;
            // High edge variance: the common adjustment of p0 and q0 only.
            adjust_middle(&mut p0, &mut q0, w & hev);
            // Otherwise three pixels each side, by 27/128, 18/128 and 9/128 of w.
            let [a27, a18, a9] = macroblock_taps(w & !hev);
            q0 = q0.saturating_sub(a27);
            p0 = p0.saturating_add(a27);
            q1 = q1.saturating_sub(a18);
            p1 = p1.saturating_add(a18);
            let (p2, q2) = (signed(t[P2]), signed(t[Q2]));
            t[Q2] = unsigned(q2.saturating_sub(a9));
            t[P2] = unsigned(p2.saturating_add(a9));
        }
    }
    t[P1] = unsigned(p1);
    t[P0] = unsigned(p0);
    t[Q0] = unsigned(q0);
    t[Q1] = unsigned(q1);
}

#[inline(always)]
fn load16(buf: &[u8], at: usize) -> u8x16 {
    u8x16::new(buf[at..at + 16].try_into().unwrap())
}

#[inline(always)]
fn load8x2(u: &[u8], v: &[u8], at: usize) -> u8x16 {
    let mut lanes = [0u8; 16];
    lanes[..8].copy_from_slice(&u[at..at + 8]);
    lanes[8..].copy_from_slice(&v[at..at + 8]);
    u8x16::new(lanes)
}

/// Filters the edge between rows that starts at `point` (the first q0 pixel), 16 pixels long.
pub(crate) fn filter_between_rows16(f: EdgeFilter, buf: &mut [u8], point: usize, stride: usize) {
    let first = point - 4 * stride;
    let mut t: Taps = core::array::from_fn(|i| load16(buf, first + i * stride));
    filter(f, &mut t);
    for (i, row) in t.iter().enumerate().take(Q2 + 1).skip(P2) {
        buf[first + i * stride..][..16].copy_from_slice(row.as_array());
    }
}

/// The same for chroma: the 8-pixel edges at `point` of the U and V planes.
pub(crate) fn filter_between_rows8x2(
    f: EdgeFilter,
    u: &mut [u8],
    v: &mut [u8],
    point: usize,
    stride: usize,
) {
    let first = point - 4 * stride;
    let mut t: Taps = core::array::from_fn(|i| load8x2(u, v, first + i * stride));
    filter(f, &mut t);
    for (i, row) in t.iter().enumerate().take(Q2 + 1).skip(P2) {
        let lanes = row.as_array();
        u[first + i * stride..][..8].copy_from_slice(&lanes[..8]);
        v[first + i * stride..][..8].copy_from_slice(&lanes[8..]);
    }
}

/// One round of the transposes below: vector i takes the low (even i) or high (odd i) halves of
/// vectors i / 2 and i / 2 + 4, interleaved. Seen as the 7-bit index (vector: 3 bits, lane: 4
/// bits) of each byte, a round rotates the index left by one bit.
#[inline(always)]
fn interleave_round(m: [u8x16; 8]) -> [u8x16; 8] {
    core::array::from_fn(|i| {
        let (a, b) = (m[i / 2], m[i / 2 + 4]);
        if i % 2 == 0 {
            u8x16::unpack_low(a, b)
        } else {
            u8x16::unpack_high(a, b)
        }
    })
}

/// 16 rows of 8 pixels, two rows a vector (row 2v in lanes 0-7 of vector v, row 2v + 1 in lanes
/// 8-15), to the 8 columns (vector c, lane r = pixel c of row r): index (v, h, c) -> (c, v, h),
/// a rotation by 4 bits. `columns_to_rows` rotates by the other 3.
#[inline(always)]
fn rows_to_columns(m: [u8x16; 8]) -> Taps {
    interleave_round(interleave_round(interleave_round(interleave_round(m))))
}

#[inline(always)]
fn columns_to_rows(t: Taps) -> [u8x16; 8] {
    interleave_round(interleave_round(interleave_round(t)))
}

#[inline(always)]
fn two_rows(a: &[u8], b: &[u8]) -> u8x16 {
    let mut lanes = [0u8; 16];
    lanes[..8].copy_from_slice(&a[..8]);
    lanes[8..].copy_from_slice(&b[..8]);
    u8x16::new(lanes)
}

/// Filters the edge between columns whose first q0 pixel is at `point`, over 16 rows.
pub(crate) fn filter_between_columns16(f: EdgeFilter, buf: &mut [u8], point: usize, stride: usize) {
    let first = point - 4;
    let row = |r: usize| first + r * stride;
    let mut t = rows_to_columns(core::array::from_fn(|v| {
        two_rows(&buf[row(2 * v)..], &buf[row(2 * v + 1)..])
    }));
    filter(f, &mut t);
    for (v, pair) in columns_to_rows(t).iter().enumerate() {
        let lanes = pair.as_array();
        buf[row(2 * v)..][..8].copy_from_slice(&lanes[..8]);
        buf[row(2 * v + 1)..][..8].copy_from_slice(&lanes[8..]);
    }
}

/// The same for chroma: 8 rows of U (rows 0-7 of the 16) and 8 of V.
pub(crate) fn filter_between_columns8x2(
    f: EdgeFilter,
    u: &mut [u8],
    v: &mut [u8],
    point: usize,
    stride: usize,
) {
    let first = point - 4;
    let row = |r: usize| first + (r % 8) * stride;
    let mut t = rows_to_columns(core::array::from_fn(|i| {
        let plane: &[u8] = if i < 4 { u } else { v };
        two_rows(&plane[row(2 * i)..], &plane[row(2 * i + 1)..])
    }));
    filter(f, &mut t);
    for (i, pair) in columns_to_rows(t).iter().enumerate() {
        let plane: &mut [u8] = if i < 4 { &mut *u } else { &mut *v };
        let lanes = pair.as_array();
        plane[row(2 * i)..][..8].copy_from_slice(&lanes[..8]);
        plane[row(2 * i + 1)..][..8].copy_from_slice(&lanes[8..]);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::loop_filter as scalar;
    use std::cell::Cell;
    use std::path::{Path, PathBuf};

    thread_local! {
        /// Makes `Vp8Decoder::loop_filter` run upstream's per-pixel filter (tests only).
        pub(crate) static PER_PIXEL: Cell<bool> = const { Cell::new(false) };
    }

    fn decode(bytes: &[u8], per_pixel: bool) -> Result<Vec<u8>, String> {
        PER_PIXEL.set(per_pixel);
        let result = (|| {
            let mut decoder =
                crate::WebPDecoder::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
            let mut out = vec![0; decoder.output_buffer_size().ok_or("too large")?];
            decoder.read_image(&mut out).map_err(|e| e.to_string())?;
            Ok(out)
        })();
        PER_PIXEL.set(false);
        result
    }

    fn webp_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                webp_files(&path, found);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("webp"))
            {
                found.push(path);
            }
        }
    }

    /// Every WebP file of the repository's test fixtures (the public suites), and those of the
    /// folder in $WEBP_EXTRA_DIR if set (e.g. the decode benchmark's photos), decodes to the same
    /// bytes (or the same error) with the SIMD loop filter as with upstream's per-pixel one.
    #[test]
    fn whole_files_decode_the_same() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../test/fixtures");
        let mut files = Vec::new();
        webp_files(&fixtures, &mut files);
        if let Some(extra) = std::env::var_os("WEBP_EXTRA_DIR") {
            webp_files(Path::new(&extra), &mut files);
        }
        let mut lossy = 0;
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let simd = decode(&bytes, false);
            assert_eq!(simd, decode(&bytes, true), "{}", file.display());
            if simd.is_ok() && bytes.windows(4).any(|w| w == b"VP8 ") {
                lossy += 1;
            }
        }
        eprintln!(
            "{} WebP files decoded alike, {lossy} of them lossy",
            files.len()
        );
        assert!(
            lossy >= 8,
            "the lossy suite files are missing: {lossy} found"
        );
    }

    /// xorshift64*: deterministic data without a dev-dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u8 {
            (self.next() % n) as u8
        }
    }

    /// Random planes: either uniform noise or a smooth ramp with small noise, so that every
    /// branch of the filters (filtered or not, high edge variance or not) is taken often.
    fn plane(rng: &mut Rng, len: usize) -> Vec<u8> {
        let smooth = rng.next() % 3 != 0;
        let base = rng.below(256) as i32;
        let spread = 1 + rng.below(40) as u64;
        (0..len)
            .map(|_| {
                if smooth {
                    (base + rng.below(spread) as i32 - spread as i32 / 2).clamp(0, 255) as u8
                } else {
                    rng.below(256)
                }
            })
            .collect()
    }

    fn random_filter(rng: &mut Rng) -> EdgeFilter {
        // Ranges the decoder produces: filter level 0-63, interior limit 1-63, hev threshold 0-2;
        // sometimes anything, to exercise the saturating arithmetic.
        let level = rng.below(64);
        let interior_limit = if rng.next() % 4 == 0 {
            rng.below(256)
        } else {
            1 + rng.below(63)
        };
        let hev_threshold = if rng.next() % 4 == 0 {
            rng.below(256)
        } else {
            rng.below(3)
        };
        let edge_limit = match rng.next() % 3 {
            0 => (level + 2) * 2 + interior_limit.min(63),
            1 => level * 2 + interior_limit.min(63),
            _ => rng.below(194),
        };
        match rng.next() % 3 {
            0 => EdgeFilter::Simple { edge_limit },
            1 => EdgeFilter::Subblock {
                hev_threshold,
                interior_limit,
                edge_limit,
            },
            _ => EdgeFilter::Macroblock {
                hev_threshold,
                interior_limit,
                edge_limit,
            },
        }
    }

    fn scalar_between_rows(f: EdgeFilter, buf: &mut [u8], point: usize, stride: usize) {
        match f {
            EdgeFilter::Simple { edge_limit } => {
                scalar::simple_segment_vertical(edge_limit, buf, point, stride)
            }
            EdgeFilter::Subblock {
                hev_threshold,
                interior_limit,
                edge_limit,
            } => scalar::subblock_filter_vertical(
                hev_threshold,
                interior_limit,
                edge_limit,
                buf,
                point,
                stride,
            ),
            EdgeFilter::Macroblock {
                hev_threshold,
                interior_limit,
                edge_limit,
            } => scalar::macroblock_filter_vertical(
                hev_threshold,
                interior_limit,
                edge_limit,
                buf,
                point,
                stride,
            ),
        }
    }

    fn scalar_between_columns(f: EdgeFilter, buf: &mut [u8], point: usize) {
        let px = &mut buf[point - 4..][..8];
        match f {
            EdgeFilter::Simple { edge_limit } => scalar::simple_segment_horizontal(edge_limit, px),
            EdgeFilter::Subblock {
                hev_threshold,
                interior_limit,
                edge_limit,
            } => scalar::subblock_filter_horizontal(hev_threshold, interior_limit, edge_limit, px),
            EdgeFilter::Macroblock {
                hev_threshold,
                interior_limit,
                edge_limit,
            } => {
                scalar::macroblock_filter_horizontal(hev_threshold, interior_limit, edge_limit, px)
            }
        }
    }

    #[test]
    fn transposes_are_transposes() {
        // Row r's pixel c is 16 * c + r.
        let rows: [u8x16; 8] = core::array::from_fn(|v| {
            u8x16::new(core::array::from_fn(|l| {
                (16 * (l % 8) + 2 * v + l / 8) as u8
            }))
        });
        let columns = rows_to_columns(rows);
        for (c, column) in columns.iter().enumerate() {
            assert_eq!(
                column.to_array(),
                core::array::from_fn(|r| (16 * c + r) as u8)
            );
        }
        assert_eq!(columns_to_rows(columns), rows);
    }

    #[test]
    fn same_as_the_per_pixel_filters() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let stride = 40;
        let len = stride * 24;
        let mut changed = 0;
        for _ in 0..200_000 {
            let f = random_filter(&mut rng);
            let (x, y) = (4 + rng.below(8) as usize, 4 + rng.below(4) as usize);
            let point = y * stride + x;

            let original = plane(&mut rng, len);
            let (mut simd, mut reference) = (original.clone(), original.clone());
            filter_between_rows16(f, &mut simd, point, stride);
            for i in 0..16 {
                scalar_between_rows(f, &mut reference, point + i, stride);
            }
            assert_eq!(simd, reference, "between rows, {f:?}");
            changed += usize::from(simd != original);

            let (mut simd, mut reference) = (original.clone(), original.clone());
            filter_between_columns16(f, &mut simd, point, stride);
            for i in 0..16 {
                scalar_between_columns(f, &mut reference, point + i * stride);
            }
            assert_eq!(simd, reference, "between columns, {f:?}");

            let other = plane(&mut rng, len);
            let (mut su, mut sv) = (original.clone(), other.clone());
            let (mut ru, mut rv) = (original.clone(), other.clone());
            filter_between_rows8x2(f, &mut su, &mut sv, point, stride);
            for i in 0..8 {
                scalar_between_rows(f, &mut ru, point + i, stride);
                scalar_between_rows(f, &mut rv, point + i, stride);
            }
            assert_eq!((&su, &sv), (&ru, &rv), "chroma between rows, {f:?}");

            let (mut su, mut sv) = (original.clone(), other.clone());
            let (mut ru, mut rv) = (original, other);
            filter_between_columns8x2(f, &mut su, &mut sv, point, stride);
            for i in 0..8 {
                scalar_between_columns(f, &mut ru, point + i * stride);
                scalar_between_columns(f, &mut rv, point + i * stride);
            }
            assert_eq!((&su, &sv), (&ru, &rv), "chroma between columns, {f:?}");
        }
        // The data must make the filters act, not only pass through.
        assert!(changed > 50_000, "only {changed} edges changed");
    }
}
