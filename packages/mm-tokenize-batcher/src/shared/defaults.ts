/**
 * One default as the Rust registries state it: whose option (`scope`: `batcher`, `sorted`,
 * `clustered`, `balanced`, `batchStream`, `ranks`, `imageSizesFromFiles`, `imageSizesFromUrls`,
 * `smartResize`, `evaluate`, `TokenPacker`, `limits`, `toTensor`), which option, and its value: a
 * number, a boolean, a choice's name, or `{ rule }` where it follows from other inputs.
 */
export interface OptionDefault {
  scope: string;
  option: string;
  value: number | boolean | string | { rule: string };
}
