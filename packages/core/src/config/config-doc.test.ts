import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { renderConfigDoc } from './config-doc.js';

const doc = fileURLToPath(new URL('../../../../docs/config.md', import.meta.url));

it('docs/config.md is the schema rendered (run `make docs` after changing the schema)', () => {
  const rendered = renderConfigDoc();
  expect(rendered).toContain('`upstream.password`');
  expect(rendered).toContain('`rules[].when.sql.copy_program`');
  expect(readFileSync(doc, 'utf8')).toBe(rendered);
});
