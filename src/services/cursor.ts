import { BadUserInputError } from '../errors';
import type { PageCursor } from '../store/TaskStore';

/** Opaque to clients; a position in (createdAt desc, id desc) order, so pages stay stable under inserts. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): PageCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // reported below
  }
  throw new BadUserInputError([{ field: 'after', message: 'after is not a cursor returned by this API' }]);
}
