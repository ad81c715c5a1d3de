// Encoded images as users hold them. No wasm here: both modules' glue imports this file.

/** Encoded bytes: an `ArrayBuffer` or any view of one (`Uint8Array`, Node `Buffer`, ...). */
export function isBytes(image: unknown): image is ArrayBuffer | ArrayBufferView {
  return image instanceof ArrayBuffer || ArrayBuffer.isView(image);
}

export function asBytes(image: ArrayBuffer | ArrayBufferView): Uint8Array {
  return image instanceof ArrayBuffer ? new Uint8Array(image) : new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
}
