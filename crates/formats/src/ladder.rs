//! The prefix ladder: how much of each file to read for its header, pass by pass. This is the
//! only driver of header reading: every caller (bytes in memory, files, URLs, the CLI) reads the
//! bytes a pass asks for in its own way, then hands them to [`header_pass`] (one call for all the
//! images of that pass), until no image asks for more.

use crate::{read_header, HeaderError, HeaderInfo};

/// Bytes of each file read for its header, pass by pass. Almost every size lies in the first
/// 2 KiB (PNG, GIF, BMP, WebP: under 32 bytes; JPEG: after its tables; AVIF and HEIC: in `meta`,
/// near the start); a JPEG with metadata first (EXIF with its thumbnail, an ICC profile:
/// typically 3 to 60 KiB) needs the second pass; a few (large ICC profiles, Photoshop blocks) the
/// third; only beyond that the whole file (`usize::MAX`). The 64 KiB rung matters for URLs,
/// where every byte asked for crosses the network (bench/url-sizes.mjs: 60 KiB per image with a
/// 256 KiB second rung, under 20 KiB with this one).
pub const HEADER_PREFIX_PASSES: [usize; 4] = [2 * 1024, 64 * 1024, 256 * 1024, usize::MAX];

/// Encoded images laid end to end: image `k` is `bytes[offsets[k]..offsets[k + 1]]`, a prefix of
/// a file `lengths[k]` bytes long (`f64::INFINITY` when the length is not known).
#[derive(Debug, Clone, Copy)]
pub struct EncodedPrefixes<'a> {
    pub bytes: &'a [u8],
    pub offsets: &'a [u32],
    pub lengths: &'a [f64],
}

impl EncodedPrefixes<'_> {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1).min(self.lengths.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn prefix(&self, k: usize) -> &[u8] {
        let (a, b) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
        self.bytes.get(a..b.max(a)).unwrap_or(&[])
    }
}

/// One image's outcome of a pass: its header, or the longer prefix it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderPass {
    Read(Result<HeaderInfo, HeaderError>),
    /// Read the first `limit` bytes (`usize::MAX`: the whole file) and ask again.
    More(usize),
}

/// Reads every image's header from the bytes given, or reports the prefix it still needs. A
/// prefix shorter than its file that still cuts the header asks for the next rung; a whole file
/// never does (it is then truncated).
pub fn header_pass(images: EncodedPrefixes<'_>) -> Vec<HeaderPass> {
    (0..images.len())
        .map(|k| {
            let bytes = images.prefix(k);
            let complete = bytes.len() as f64 >= images.lengths[k];
            let result = read_header(bytes, complete);
            match (&result, next_prefix(bytes.len())) {
                (Err(HeaderError::NeedMore { .. }), Some(limit)) if !complete => {
                    HeaderPass::More(limit)
                }
                _ => HeaderPass::Read(result),
            }
        })
        .collect()
}

/// The prefix to ask for once the first `have` bytes did not hold a header: the next rung of
/// [`HEADER_PREFIX_PASSES`] beyond `have` (`usize::MAX`: the whole file).
pub fn next_prefix(have: usize) -> Option<usize> {
    HEADER_PREFIX_PASSES[1..]
        .iter()
        .copied()
        .find(|&limit| limit > have)
}
