// The only host globals the library may use beyond ECMAScript: console and TextEncoder/TextDecoder
// exist in Node, browsers and workers alike. tsconfig.build.json compiles the library with this and
// without @types/node, so a Node-only global (process, Buffer, require) in library code fails the
// build.
declare const console: {
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
// UTF-8 (WHATWG Encoding), in Node, browsers and workers alike: the safetensors header is UTF-8 JSON.
declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
