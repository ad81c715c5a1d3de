// File names as the bytes the OS gave. POSIX names are bytes, not text: a name that is not UTF-8
// must not be decoded with U+FFFD (two such names would become one, and neither could be opened
// again). A name is held as a string in Python's "surrogateescape" form (PEP 383): valid UTF-8 is
// decoded, and each byte that is not part of valid UTF-8 becomes the lone surrogate
// U+DC80..U+DCFF. The mapping is one to one, so the string opens the same file again
// (`nameBytes`), and written to JSON (`"\udcff"`) it is what Python's own `os.fsdecode` gives, so
// Python's `open()` opens the same file.

/** The length of the valid UTF-8 sequence at `bytes[i]`, or 0 if the byte starts none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number) => i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const b1 = bytes[i + 1]!;
    if (b0 === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b0 === 0xed && b1 >= 0xa0) return 0; // a surrogate: never valid UTF-8
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const b1 = bytes[i + 1]!;
    if (b0 === 0xf0 && b1 < 0x90) return 0; // overlong
    if (b0 === 0xf4 && b1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

// ignoreBOM: a name may start with U+FEFF, which is part of it.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** A name's bytes as a string: UTF-8 decoded, every other byte as U+DC80 + (byte - 0x80). */
export function nameFromBytes(bytes: Uint8Array): string {
  let out = '';
  let run = 0; // start of the current run of valid UTF-8
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += utf8.decode(bytes.subarray(run, i)) + String.fromCharCode(0xdc00 + bytes[i]!);
    run = ++i;
  }
  return out + utf8.decode(bytes.subarray(run));
}

/** The bytes a name string stands for (the inverse of `nameFromBytes`). */
export function nameBytes(name: string): Uint8Array {
  if (!/[\udc80-\udcff]/.test(name)) return encoder.encode(name);
  const parts: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // A lone surrogate U+DC80..U+DCFF is one raw byte (a pair's low half is taken with its high half below).
    if (c >= 0xdc80 && c <= 0xdcff) {
      parts.push(c - 0xdc00);
      continue;
    }
    const end = c >= 0xd800 && c <= 0xdbff && i + 1 < name.length ? i + 2 : i + 1;
    for (const b of encoder.encode(name.slice(i, end))) parts.push(b);
    i = end - 1;
  }
  return Uint8Array.from(parts);
}

/** A name for messages: raw bytes as `\xFF`, control characters as `\n`, `\t`, `\x1B`. */
export function shownName(name: string): string {
  return name
    .replace(/[\ud800-\udbff][\udc00-\udfff]|[\udc80-\udcff]/g, (m) => (m.length === 1 ? `\\x${(m.charCodeAt(0) - 0xdc00).toString(16).toUpperCase()}` : m))
    .replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
}

/** What `fs` is given for a name: its bytes when it holds raw bytes, else the string itself (Node, Bun, Deno only: a `Buffer`). */
export function fsName(name: string): string | Buffer {
  return /[\udc80-\udcff]/.test(name) ? Buffer.from(nameBytes(name)) : name;
}
