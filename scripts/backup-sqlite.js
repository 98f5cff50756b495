// Copies the embedded SQLite store while the server runs: SQLite's online backup API reads a consistent
// snapshot page by page (WAL included) without stopping writers, which a plain file copy cannot promise.
// Usage: node scripts/backup-sqlite.js [database file] <backup file>   (default database: ./data/lipsync.db)
'use strict';
const Database = require('better-sqlite3');
const fs = require('node:fs');

const args = process.argv.slice(2);
const [source, target] = args.length >= 2 ? args : ['./data/lipsync.db', args[0]];
if (!target) {
  console.error('usage: node scripts/backup-sqlite.js [database file] <backup file>');
  process.exit(2);
}
if (!fs.existsSync(source)) {
  console.error(`backup: ${source} does not exist`);
  process.exit(1);
}
const db = new Database(source, { readonly: true, fileMustExist: true });
db.backup(target)
  .then(({ totalPages }) => {
    console.log(`backup: ${source} → ${target} (${totalPages} pages)`);
    db.close();
  })
  .catch((error) => {
    console.error(`backup failed: ${error.message}`);
    db.close();
    process.exit(1);
  });
