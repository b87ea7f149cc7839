// `make docs`: writes docs/config.md from the built config schema.
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../packages/core/dist/config/config-doc.js';

writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfigDoc());
console.log('docs/config.md written');
