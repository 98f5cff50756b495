import type { Migration } from './Migration';

/**
 * Small named values every instance must agree on and that must outlive restarts, written once and then only
 * read: today the key that signs the upstream callback URLs (src/services/CallbackUrls.ts). A table rather than
 * a file beside the store, because instances on PostgreSQL share no disk.
 */
export const settings: Migration = {
  version: 3,
  description: 'settings table (shared secrets)',
  // WITHOUT ROWID: the key is the table's own b-tree, no second index just for the primary key.
  sqlite: [`CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID`],
  postgres: [`CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`],
};
