import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemaFiles } from '../schemaFiles';

/** `npm run schema`: writes schema.graphql and subgraph.graphql from the code. */
async function main(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const files = await renderSchemaFiles();
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(root, name), text);
    console.log(`wrote ${name}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
