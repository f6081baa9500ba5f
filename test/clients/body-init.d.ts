// The generated hey-api client names the DOM's global `BodyInit`. Its own tsconfig has the DOM
// lib; the service's compiles against @types/node, where the same type is undici's.
type BodyInit = import('undici-types').BodyInit
