// A failure that must stop the node (a partition log's I/O failed: its log directory is offline). One
// error, told once to every listener, including one that registers after it happened.
export class FatalSignal {
  private readonly listeners = new Set<(error: Error) => void>();
  private failure: Error | null = null;

  raise(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const listener of this.listeners) listener(error);
  }

  listen(listener: (error: Error) => void): void {
    this.listeners.add(listener);
    if (this.failure !== null) listener(this.failure);
  }
}
