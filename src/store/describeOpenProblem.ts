interface ErrorLike {
  message: string;
  code?: string;
  syscall?: string;
  /** set by pg on errors the server sent */
  severity?: string;
  errors?: unknown[];
}

// Duck-typed on purpose: errors raised by Node's core (fs, net) are not `instanceof Error` in every realm (jest's sandbox).
function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string';
}

/** What went wrong while opening a store, in the words an operator needs to fix DATABASE_URL or the host. */
export function describeOpenProblem(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  const { code, syscall, message } = error;
  // Node tries every address of a host name (::1, then 127.0.0.1) and reports the failures together.
  if (Array.isArray(error.errors) && error.errors.length > 0) return describeOpenProblem(error.errors[0]);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return `not a SQLite database (file is corrupt or not a database: ${message})`;
  if (code?.startsWith('SQLITE_')) return `cannot open the SQLite database (${code}: ${message})`;
  if (syscall === 'mkdir') return `cannot create the database directory (${message})`;
  if (syscall === 'open') return `cannot create the database file (${message})`;
  if (syscall === 'connect' || syscall === 'getaddrinfo') return `cannot connect to PostgreSQL (${message})`;
  if (error.severity !== undefined) return `PostgreSQL error ${code}: ${message}`;
  return message;
}
