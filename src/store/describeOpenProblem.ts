import { DatabaseError } from 'pg';

/** What went wrong while opening a store, in the words an operator needs to fix DATABASE_URL or the host. */
export function describeOpenProblem(error: unknown): string {
  // Node tries every address of a host name (::1, then 127.0.0.1) and reports all failures together.
  if (error instanceof AggregateError && error.errors.length > 0) return describeOpenProblem(error.errors[0]);
  if (!(error instanceof Error)) return String(error);
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return `not a SQLite database (file is corrupt or not a database: ${error.message})`;
  }
  if (code?.startsWith('SQLITE_')) return `cannot open the SQLite database (${code}: ${error.message})`;
  if (syscall === 'mkdir') return `cannot create the database directory (${error.message})`;
  if (syscall === 'open') return `cannot create the database file (${error.message})`;
  if (syscall === 'connect' || syscall === 'getaddrinfo') return `cannot connect to PostgreSQL (${error.message})`;
  if (error instanceof DatabaseError) return `PostgreSQL error ${code}: ${error.message}`;
  return error.message;
}
