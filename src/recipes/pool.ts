// Runs fn over items with at most `limit` in flight, calling onDone in completion order.
// The backend caps the requests themselves; this only keeps enough comparisons queued.
export async function forEachConcurrent<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onDone: (result: R, index: number) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      onDone(await fn(items[i], i), i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
