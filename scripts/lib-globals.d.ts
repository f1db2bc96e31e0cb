// The only host globals the library may use beyond ECMAScript: console exists in Node, browsers and
// workers alike. tsconfig.build.json compiles the library with this and without @types/node, so a
// Node-only global (process, Buffer, require) in library code fails the build.
declare const console: {
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
