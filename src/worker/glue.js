// The one piece of the adapter written in JS: a loop over the request's headers that
// returns them as a single string, so they cross into wasm once (names and values never
// contain a line feed: the fetch spec forbids it in both).
export function headerLines(headers) {
  let s = '';
  for (const [k, v] of headers) s += k + '\n' + v + '\n';
  return s;
}
