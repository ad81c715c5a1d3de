//! AVIF and HEIC (HEIF): ISOBMFF boxes. The brand in `ftyp` names the format; the size is the
//! primary item's `ispe`, cropped by `clap` and turned by `irot`, as decoders show it.
//!
//! The path: top-level boxes to `meta`; in it `pitm` (the primary item), `iinf` (which must list
//! it) and `iprp`, whose `ipma` gives the item's properties as 1-based indices into `ipco`. A grid
//! (how phones store photos: tiles under one `grid` item) carries an `ispe` of its own, so it
//! needs nothing more. Transformative properties apply in the order they are associated, as
//! libheif applies them; `imir` mirrors and keeps the size.

use crate::format::Sniff;
use crate::reader::{printable, Parsed, Reader};
use crate::{Details, HeaderError};

/// Brands of an `ftyp` box (major, then compatible) from a box at the start of `bytes`.
fn brands(bytes: &[u8]) -> Result<Vec<[u8; 4]>, Sniff> {
    if bytes.len() < 8 {
        let ftyp = b"ftyp";
        return if bytes.len() <= 4 || ftyp.starts_with(&bytes[4..]) {
            Err(Sniff::TooShort)
        } else {
            Err(Sniff::No)
        };
    }
    if &bytes[4..8] != b"ftyp" {
        return Err(Sniff::No);
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if !(16..=4096).contains(&size) {
        return Err(Sniff::No);
    }
    if bytes.len() < size {
        return Err(Sniff::TooShort);
    }
    let mut out = vec![[bytes[8], bytes[9], bytes[10], bytes[11]]];
    out.extend(
        bytes[16..size]
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]]),
    );
    Ok(out)
}

fn sniff_brands(bytes: &[u8], wanted: &[&[u8; 4]], excluded: &[&[u8; 4]]) -> Sniff {
    match brands(bytes) {
        Err(s) => s,
        Ok(list) if list.iter().any(|b| excluded.contains(&b)) => Sniff::No,
        Ok(list) if list.iter().any(|b| wanted.contains(&b)) => Sniff::Yes,
        Ok(_) => Sniff::No,
    }
}

const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];
const HEIF_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
];

pub(crate) fn sniff_avif(bytes: &[u8]) -> Sniff {
    sniff_brands(bytes, &AVIF_BRANDS, &[])
}

/// HEIF with HEVC (or a generic HEIF brand) and no AVIF brand.
pub(crate) fn sniff_heic(bytes: &[u8]) -> Sniff {
    sniff_brands(bytes, &HEIF_BRANDS, &AVIF_BRANDS)
}

/// Most boxes walked inside any one box, and most entries read from one `ipma`. Real files hold
/// tens (an iPhone photo: about 50 items and 10 properties); the cap keeps a hostile file's walk
/// short.
const MAX_BOXES: usize = 10_000;

/// A box: its type, where its contents start and where it ends.
#[derive(Debug, Clone, Copy)]
struct Bx {
    kind: [u8; 4],
    body: usize,
    /// `usize::MAX`: a box of size 0 ("to the end of the file") in a prefix, whose end is unknown.
    end: usize,
}

impl Bx {
    /// The file as the parent of the top-level boxes (body 0, which no real box has).
    fn file(r: &Reader) -> Bx {
        let end = if r.complete {
            r.bytes.len()
        } else {
            usize::MAX
        };
        Bx {
            kind: *b"file",
            body: 0,
            end,
        }
    }

    fn name(&self) -> String {
        if self.body == 0 {
            "the file".into()
        } else {
            format!("`{}`", printable(&self.kind))
        }
    }
}

/// The header of the box at `at` inside `parent`. Size 0 runs to the parent's end, size 1 gives
/// a 64-bit size. A box past the end of a whole file is a truncated file; past its parent's end,
/// a corrupt one.
fn header(r: &Reader, at: usize, parent: Bx) -> Result<Bx, HeaderError> {
    let size = r.be32(at)? as u64;
    let k = r.get(at.saturating_add(4), 4)?;
    let kind = [k[0], k[1], k[2], k[3]];
    let (size, head) = match size {
        1 => (r.be64(at.saturating_add(8))?, 16),
        _ => (size, 8),
    };
    let end = match size {
        0 => parent.end,
        _ if size < head as u64 => {
            return Err(r.corrupt(format!(
                "`{}` box at offset {at} states {size} bytes, less than its own header",
                printable(&kind)
            )))
        }
        _ => match usize::try_from(size).ok().and_then(|s| at.checked_add(s)) {
            Some(end) if end <= parent.end => end,
            _ if parent.body == 0 => return Err(r.short()),
            _ => {
                return Err(r.corrupt(format!(
                    "`{}` box at offset {at} states {size} bytes, past the end of {}",
                    printable(&kind),
                    parent.name()
                )))
            }
        },
    };
    Ok(Bx {
        kind,
        body: at + head,
        end,
    })
}

/// The boxes inside `parent` from offset `start`, in order; the walk ends after an error.
fn children<'r>(
    r: &'r Reader,
    parent: Bx,
    start: usize,
) -> impl Iterator<Item = Result<Bx, HeaderError>> + 'r {
    let (mut at, mut walked) = (start, 0);
    std::iter::from_fn(move || {
        if at >= parent.end {
            return None;
        }
        walked += 1;
        let next = if walked > MAX_BOXES {
            Err(r.corrupt(format!("more than {MAX_BOXES} boxes in {}", parent.name())))
        } else {
            header(r, at, parent)
        };
        at = next.as_ref().map_or(parent.end, |b| b.end);
        Some(next)
    })
}

/// The first child of `parent` of type `kind`, if any.
fn find(r: &Reader, parent: Bx, start: usize, kind: &[u8; 4]) -> Result<Option<Bx>, HeaderError> {
    for b in children(r, parent, start) {
        let b = b?;
        if &b.kind == kind {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// A box's fields, read in order: a field past the box's end is corrupt, past the bytes given
/// it is `NeedMore` or `Truncated`.
struct Fields<'r, 'a> {
    r: &'r Reader<'a>,
    b: Bx,
    at: usize,
}

impl<'r, 'a> Fields<'r, 'a> {
    fn of(r: &'r Reader<'a>, b: Bx) -> Self {
        Fields { r, b, at: b.body }
    }

    /// A big-endian unsigned field of `n` bytes (1 to 4).
    fn uint(&mut self, n: usize) -> Result<u32, HeaderError> {
        if self.at + n > self.b.end {
            return Err(self.r.corrupt(format!(
                "`{}` box ends inside its fields",
                printable(&self.b.kind)
            )));
        }
        let bytes = self.r.get(self.at, n)?;
        self.at += n;
        Ok(bytes.iter().fold(0, |v, &b| (v << 8) | b as u32))
    }

    /// A FullBox's version (its flags are read and dropped).
    fn version(&mut self) -> Result<u32, HeaderError> {
        let version = self.uint(1)?;
        self.uint(3)?;
        Ok(version)
    }
}

pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    let meta = find(r, Bx::file(r), 0, b"meta")?.ok_or_else(|| r.corrupt("no `meta` box"))?;
    let (mut pitm, mut iinf, mut iprp) = (None, None, None);
    // `meta` is a FullBox: its children follow 4 bytes of version and flags.
    for b in children(r, meta, meta.body + 4) {
        let b = b?;
        let slot = match &b.kind {
            b"pitm" => &mut pitm,
            b"iinf" => &mut iinf,
            b"iprp" => &mut iprp,
            _ => continue,
        };
        slot.get_or_insert(b);
        // Stop there: a prefix need not hold the boxes after these (`iloc`, `iref`, `idat`).
        if pitm.is_some() && iinf.is_some() && iprp.is_some() {
            break;
        }
    }
    let missing = |name: &str| r.corrupt(format!("`meta` has no `{name}` box"));
    let mut f = Fields::of(r, pitm.ok_or_else(|| missing("pitm"))?);
    let id = match f.version()? {
        0 => f.uint(2)?,
        _ => f.uint(4)?,
    };
    listed(r, iinf.ok_or_else(|| missing("iinf"))?, id)?;
    let props = properties(r, iprp.ok_or_else(|| missing("iprp"))?, id)?;
    let ispe = props.iter().find(|b| &b.kind == b"ispe").ok_or_else(|| {
        r.corrupt(format!(
            "the primary item ({id}) has no `ispe` (image size) property"
        ))
    })?;
    let mut f = Fields::of(r, *ispe);
    f.version()?;
    let (mut w, mut h) = (f.uint(4)?, f.uint(4)?);
    for b in &props {
        match &b.kind {
            b"clap" => (w, h) = clean_aperture(r, *b, w, h)?,
            // The angle (x 90 degrees anticlockwise) is the low 2 bits: 1 and 3 swap the sides.
            b"irot" if Fields::of(r, *b).uint(1)? & 1 == 1 => (w, h) = (h, w),
            _ => {}
        }
    }
    Ok((w, h, 1, Details::Isobmff))
}

/// Checks that `iinf` lists item `id` (`pitm` must name an item that exists).
fn listed(r: &Reader, iinf: Bx, id: u32) -> Result<(), HeaderError> {
    let mut f = Fields::of(r, iinf);
    let count_len = if f.version()? == 0 { 2 } else { 4 };
    f.uint(count_len)?; // the entry count: the `infe` boxes are walked instead
    for b in children(r, iinf, f.at) {
        let b = b?;
        if &b.kind == b"infe" {
            let mut e = Fields::of(r, b);
            // Versions 0 to 2 give a 16-bit item id, version 3 a 32-bit one.
            let id_len = if e.version()? < 3 { 2 } else { 4 };
            if e.uint(id_len)? == id {
                return Ok(());
            }
        }
    }
    Err(r.corrupt(format!(
        "`pitm` names item {id}, which `iinf` does not list"
    )))
}

/// The property boxes of item `id`, in the order `ipma` associates them.
fn properties(r: &Reader, iprp: Bx, id: u32) -> Result<Vec<Bx>, HeaderError> {
    let (mut ipco, mut indices) = (None, None);
    for b in children(r, iprp, iprp.body) {
        let b = b?;
        match &b.kind {
            b"ipco" => {
                ipco.get_or_insert(b);
            }
            // Several `ipma` boxes may exist (one per version and flags); the item is in one.
            b"ipma" if indices.is_none() => indices = associations(r, b, id)?,
            _ => {}
        }
        if ipco.is_some() && indices.is_some() {
            break;
        }
    }
    let ipco = ipco.ok_or_else(|| r.corrupt("`iprp` has no `ipco` box"))?;
    // Index 0 means "no property".
    let indices: Vec<usize> = indices
        .unwrap_or_default()
        .into_iter()
        .filter(|&k| k > 0)
        .collect();
    let last = indices.iter().copied().max().unwrap_or(0);
    let boxes = children(r, ipco, ipco.body)
        .take(last)
        .collect::<Result<Vec<_>, _>>()?;
    indices
        .iter()
        .map(|&k| {
            boxes.get(k - 1).copied().ok_or_else(|| {
                r.corrupt(format!(
                    "`ipma` gives item {id} property {k}, but `ipco` holds {}",
                    boxes.len()
                ))
            })
        })
        .collect()
}

/// The property indices `ipma` gives item `id`, if it lists the item. Version 0 has 16-bit item
/// ids, later versions 32-bit ones; flag 1 makes the indices 15-bit instead of 7-bit (the top
/// bit of each marks the property essential).
fn associations(r: &Reader, ipma: Bx, id: u32) -> Result<Option<Vec<usize>>, HeaderError> {
    let mut f = Fields::of(r, ipma);
    let version = f.uint(1)?;
    let large = f.uint(3)? & 1 == 1;
    let (id_len, index_len) = (if version < 1 { 2 } else { 4 }, 1 + large as usize);
    let mask = if large { 0x7FFF } else { 0x7F };
    let count = f.uint(4)? as usize;
    if count > MAX_BOXES {
        return Err(r.corrupt(format!(
            "`ipma` lists {count} items; at most {MAX_BOXES} are read"
        )));
    }
    for _ in 0..count {
        let item = f.uint(id_len)?;
        let n = f.uint(1)?;
        let indices = (0..n)
            .map(|_| f.uint(index_len).map(|k| (k & mask) as usize))
            .collect::<Result<Vec<_>, _>>()?;
        if item == id {
            return Ok(Some(indices));
        }
    }
    Ok(None)
}

/// The size `clap` crops `w x h` to. The clean aperture is a width, a height and a centre offset,
/// each a fraction; its size is rounded as libheif rounds it (to nearest, halves up). It must lie
/// inside the image, by libheif's arithmetic for the crop's edges: outside, libheif would decode
/// fewer pixels than it states and libavif refuses the file.
fn clean_aperture(r: &Reader, b: Bx, w: u32, h: u32) -> Result<(u32, u32), HeaderError> {
    let mut f = Fields::of(r, b);
    let mut v = [0i128; 8];
    for (k, x) in v.iter_mut().enumerate() {
        let raw = f.uint(4)?;
        // Widths and denominators are unsigned, the offsets' numerators (4 and 6) signed.
        *x = if k == 4 || k == 6 {
            raw as i32 as i128
        } else {
            raw as i128
        };
    }
    let bad = || {
        r.corrupt(format!(
            "`clap` crops {}/{} x {}/{} around offset ({}/{}, {}/{}) out of a {w} x {h} image",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
        ))
    };
    let side = |size: u32, n: i128, d: i128, off_n: i128, off_d: i128| -> Option<u32> {
        let limit = i32::MAX as i128;
        if n > limit || !(1..=limit).contains(&d) || !(1..=limit).contains(&off_d) {
            return None;
        }
        let rounded = (n + d / 2) / d;
        // left = off + (size - 1) / 2 - (n / d - 1) / 2, truncated toward zero as C++ divides;
        // right = n / d - 1 + left, rounded.
        let den = 2 * off_d * d;
        let left = (2 * off_n * d + (size as i128 - 1) * off_d * d - (n - d) * off_d) / den;
        let right = (n - d + left * d + d / 2) / d;
        (rounded >= 1 && left >= 0 && right < size as i128).then_some(rounded as u32)
    };
    match (
        side(w, v[0], v[1], v[4], v[5]),
        side(h, v[2], v[3], v[6], v[7]),
    ) {
        (Some(cw), Some(ch)) => Ok((cw, ch)),
        _ => Err(bad()),
    }
}
