/**
 * JSON for request bodies that cannot fail on a task's result: `JSON.stringify` first (the common, fast case);
 * on a BigInt or a cycle, again with those replaced by strings, so one odd result never blocks a whole batch.
 */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (_key, inner: unknown) => {
      if (typeof inner === 'bigint') return inner.toString();
      if (typeof inner === 'object' && inner !== null) {
        if (seen.has(inner)) return '[Circular]';
        seen.add(inner);
      }
      return inner;
    });
  }
}
