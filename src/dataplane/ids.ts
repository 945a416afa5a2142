// Stable small integer ids for services and real servers. The dataplane keys
// per-worker scheduler state and live sessions by these ids, so a service or
// server keeps its id across every publish. A removed server's id is kept
// too: re-adding the same server lets its surviving sessions carry on, as
// IPVS does when a destination comes back from its trash list.
export class IdRegistry {
  private readonly ids = new Map<string, number>();
  private next = 0;

  constructor(private readonly max: number, private readonly what: string) {}

  private readonly keys = new Map<number, string>();

  /** The key an id was given for, if any. */
  keyOf(id: number): string | undefined {
    return this.keys.get(id);
  }

  idFor(key: string): number {
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    if (this.next >= this.max) {
      throw new Error(`out of ${this.what} ids (${this.max}); restart the daemon to compact them`);
    }
    const id = this.next++;
    this.ids.set(key, id);
    this.keys.set(id, key);
    return id;
  }
}

export interface DataplaneIds {
  services: IdRegistry;
  servers: IdRegistry;
}

export function newDataplaneIds(): DataplaneIds {
  return {
    services: new IdRegistry(4096, 'service'),
    servers: new IdRegistry(65536, 'real-server'),
  };
}
