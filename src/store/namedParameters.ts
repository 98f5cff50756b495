/**
 * The shared SQL is written once with `:name` parameters, which better-sqlite3 binds natively; PostgreSQL
 * wants `$1…$n`. A name used twice maps to the same position.
 */
export interface PositionalSql {
  text: string;
  names: string[];
}

export function toPositional(sql: string): PositionalSql {
  const names: string[] = [];
  // The lookbehind leaves PostgreSQL casts (`::bigint`) alone.
  const text = sql.replace(/(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)/g, (_, name: string) => {
    const index = names.indexOf(name);
    if (index >= 0) return `$${index + 1}`;
    names.push(name);
    return `$${names.length}`;
  });
  return { text, names };
}

export function positionalValues(sql: PositionalSql, params: Readonly<Record<string, unknown>>): unknown[] {
  return sql.names.map((name) => {
    if (!(name in params)) throw new Error(`missing SQL parameter :${name}`);
    return params[name];
  });
}
