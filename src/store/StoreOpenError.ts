import { redactUrl } from '../redactUrl';

/** The store could not be opened or migrated: one line for the operator, naming the setting and the cause. */
export class StoreOpenError extends Error {
  constructor(databaseUrl: string, problem: string) {
    super(`DATABASE_URL ${redactUrl(databaseUrl)}: ${problem.replace(/\s+/g, ' ').trim()}`);
    this.name = 'StoreOpenError';
  }
}
