// A small bounded LRU on a Map (insertion order = recency).
export class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get size() {
    return this.map.size;
  }

  has(key: string) {
    return this.map.has(key);
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined || this.map.has(key)) {
      this.map.delete(key);
      this.map.set(key, value as V);
    }
    return value;
  }

  set(key: string, value: V) {
    if (this.max <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  delete(key: string) {
    this.map.delete(key);
  }

  deletePrefix(prefix: string) {
    for (const key of this.map.keys()) if (key.startsWith(prefix)) this.map.delete(key);
  }
}
