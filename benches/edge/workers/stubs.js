// In-isolate stand-ins for the platform's queue and KV (wrapped bindings). They answer at
// once, so the edge bench counts everything a worker does up to the queue's door (building
// the delivery, serializing it, the dedup lookups) and nothing of the storage service
// itself, which any worker that enqueues pays the same.
// The queue keeps the two rules of the real one that decide what a sender must do: the
// `contentType` is one the platform knows (text, bytes, json, v8: a worker may send a
// string or a `Uint8Array`) and a message is at most 128 KB (so a worker that does not keep
// a large body outside the message fails its probe here as it would in production). Both
// checks are O(1): a string's UTF-8 length is at least its length.
// The class names are what workers-rs checks (`constructor.name`).
const CONTENT_TYPES = new Set([undefined, 'text', 'bytes', 'json', 'v8']);
const MESSAGE_LIMIT = 128000;

function check(body, options) {
  if (!CONTENT_TYPES.has(options?.contentType)) throw new TypeError(`unknown contentType ${options.contentType}`);
  const size = typeof body === 'string' ? body.length : body?.byteLength;
  if (size > MESSAGE_LIMIT) throw new RangeError(`queue message of ${size} bytes is over the 128 KB limit`);
}

class WorkerQueue {
  send(body, options) {
    try {
      check(body, options);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
  }
  sendBatch(messages) {
    try {
      for (const m of messages) check(m.body, m);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
  }
}
class KvNamespace {
  get() {
    return Promise.resolve(null);
  }
  getWithMetadata() {
    return Promise.resolve({ value: null, metadata: null });
  }
  list() {
    return Promise.resolve({ keys: [], list_complete: true });
  }
  put() {
    return Promise.resolve();
  }
  delete() {
    return Promise.resolve();
  }
}
export function queue() {
  return new WorkerQueue();
}
export function kv() {
  return new KvNamespace();
}
