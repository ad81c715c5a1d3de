// What edge runtimes give for an imported .wasm file: a compiled module (workerd, `?module` on Vercel).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.wasm?module' {
  const module: WebAssembly.Module;
  export default module;
}
