import type { Db } from './open-database.js';

export type ProviderKind = 'graph' | 'box' | 'apideck' | 'tus' | 's3';

export interface DestinationRow {
  id: number;
  name: string;
  provider: ProviderKind;
  /** Provider settings (endpoint, drive id, conflict policy, where the token lives). Never the token itself. */
  config: Record<string, unknown>;
  createdAtMs: number;
}

interface Raw {
  id: number;
  name: string;
  provider: ProviderKind;
  config_json: string;
  created_at_ms: number;
}

const toRow = (r: Raw): DestinationRow => ({
  id: r.id,
  name: r.name,
  provider: r.provider,
  config: JSON.parse(r.config_json) as Record<string, unknown>,
  createdAtMs: r.created_at_ms,
});

export class DestinationsRepo {
  constructor(private readonly db: Db) {}

  add(name: string, provider: ProviderKind, config: Record<string, unknown>, nowMs: number): DestinationRow {
    const info = this.db
      .prepare('INSERT INTO destinations (name, provider, config_json, created_at_ms) VALUES (?, ?, ?, ?)')
      .run(name, provider, JSON.stringify(config), nowMs);
    return { id: Number(info.lastInsertRowid), name, provider, config, createdAtMs: nowMs };
  }

  byName(name: string): DestinationRow | undefined {
    const raw = this.db.prepare('SELECT * FROM destinations WHERE name = ?').get(name) as Raw | undefined;
    return raw && toRow(raw);
  }

  byId(id: number): DestinationRow | undefined {
    const raw = this.db.prepare('SELECT * FROM destinations WHERE id = ?').get(id) as Raw | undefined;
    return raw && toRow(raw);
  }

  list(): DestinationRow[] {
    return (this.db.prepare('SELECT * FROM destinations ORDER BY name').all() as Raw[]).map(toRow);
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM destinations WHERE name = ?').run(name).changes > 0;
  }
}
