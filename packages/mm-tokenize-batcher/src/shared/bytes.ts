// Encoded images as users hold them. No wasm here: both modules' glue imports this file.

/** Encoded bytes: an `ArrayBuffer`, a `SharedArrayBuffer` or any view of one (`Uint8Array`, Node `Buffer`, ...). */
export function isBytes(image: unknown): image is ArrayBuffer | SharedArrayBuffer | ArrayBufferView {
  return image instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && image instanceof SharedArrayBuffer) || ArrayBuffer.isView(image);
}

/** A view of the bytes (throws a `TypeError` for a detached buffer: see `sampleFault`). */
export function asBytes(image: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(image) ? new Uint8Array(image.buffer, image.byteOffset, image.byteLength) : new Uint8Array(image);
}

/** Whether `image` is (a view of) a detached `ArrayBuffer`: transferred to another thread, or resized away. */
function isDetached(image: unknown): boolean {
  try {
    const buffer = ArrayBuffer.isView(image) ? image.buffer : image;
    return buffer instanceof ArrayBuffer && (buffer as { detached?: boolean }).detached === true;
  } catch {
    return false; // a Proxy whose traps throw
  }
}

/**
 * What an exception thrown while reading one sample (a getter, a Proxy trap, a detached buffer)
 * makes of it: that sample's reject fields, so it is refused alone (or, without `skipInvalid`,
 * thrown with its index), never a raw `TypeError` for the whole call.
 */
export function sampleFault(error: unknown, image?: unknown): { code: 'INVALID_IMAGE' | 'INVALID_INPUT'; detail: string } {
  if (isDetached(image)) return { code: 'INVALID_IMAGE', detail: "the image's ArrayBuffer is detached (transferred to another thread); its bytes are gone" };
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: 'INVALID_INPUT', detail: `reading the sample threw ${what}` };
}
