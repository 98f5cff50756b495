/**
 * One step of the schema's history. Both dialects live side by side so the SQLite and PostgreSQL schemas
 * cannot drift apart: a change to one is reviewed next to the other.
 */
export interface Migration {
  /** strictly increasing; recorded in schema_migrations once applied */
  version: number;
  description: string;
  sqlite: readonly string[];
  postgres: readonly string[];
}
