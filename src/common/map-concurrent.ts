// A bounded fan-out: at most `limit` tasks in flight over a list, for work that is independent per item
// but should not all start at once (the CLI's per-topic requests, a broker opening or removing its
// partition logs).

/** Runs `task` on every item with at most `limit` at a time; results keep the items' order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
