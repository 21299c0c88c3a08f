// In-isolate stand-ins for the platform's queue and KV (wrapped bindings). They answer at
// once, so the edge bench counts everything edgehook does up to the queue's door (building
// the delivery, serializing it across the JS boundary, the dedup lookups) and nothing of the
// storage service itself, which any worker that enqueues pays the same.
// The class names are what workers-rs checks (`constructor.name`).
class WorkerQueue {
  send() {
    return Promise.resolve();
  }
  sendBatch() {
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
