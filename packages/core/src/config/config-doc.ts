// Renders docs/config.md from the config schema, so the reference can never drift from what `check`
// enforces (a test compares the committed file with this output; `make docs` rewrites it).
import { configSchema } from './schema.js';

type Schema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: readonly unknown[];
  const?: unknown;
  format?: string;
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
};

interface Row {
  key: string;
  type: string;
  required: boolean;
  description: string;
}

function typeOf(s: Schema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (s.anyOf ?? s.oneOf) {
    return [...new Set((s.anyOf ?? s.oneOf)!.map(typeOf))].join(' or ');
  }
  if (s.format) return s.format;
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object') return s.properties ? 'mapping' : 'map';
  return Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'value');
}

function rows(s: Schema, prefix: string, out: Row[], sections: [string, Schema][]): void {
  for (const [key, child] of Object.entries(s.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push({
      key: path,
      type: typeOf(child),
      required: s.required?.includes(key) ?? false,
      description: child.description ?? '',
    });
    if (child.type === 'object' && child.properties) rows(child, path, out, sections);
    else if (child.type === 'array' && child.items?.oneOf) {
      for (const variant of child.items.oneOf)
        sections.push([`${path}[] — ${variant.description ?? ''}`, variant]);
    } else if (child.type === 'array' && child.items?.properties)
      rows(child.items, `${path}[]`, out, sections);
    else if (
      child.type === 'object' &&
      typeof child.additionalProperties === 'object' &&
      // A map of plain values (headers, query …) is described by its own row; no empty section.
      Object.keys(child.additionalProperties.properties ?? {}).length > 0
    ) {
      sections.push([
        `${path}.<name> — ${child.additionalProperties.description ?? ''}`,
        child.additionalProperties,
      ]);
    }
  }
}

function table(r: Row[]): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| key | type | required | description |',
    '|---|---|---|---|',
    ...r.map((x) => `| \`${x.key}\` | ${x.type} | ${x.required ? 'yes' : ''} | ${esc(x.description)} |`),
  ].join('\n');
}

export function renderConfigDoc(schema: Schema = configSchema as unknown as Schema): string {
  const parts = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/core/src/config/schema.ts by `make docs`; a test keeps it in sync. -->',
    '',
    'Durations are written `250ms`, `30s`, `5m`, `1h`, `30d`; sizes `64KiB`, `1MiB`, `1MB` or a number of bytes.',
    '`${VAR}` in any value is read from the environment (`${VAR:-default}` gives a default). Unknown keys are errors.',
    '',
  ];
  const queue: [string, Schema][] = [['The file', schema]];
  while (queue.length > 0) {
    const [title, s] = queue.shift()!;
    const r: Row[] = [];
    const more: [string, Schema][] = [];
    rows(s, '', r, more);
    parts.push(`## ${title}`, '', table(r), '');
    queue.push(...more);
  }
  return `${parts.join('\n').trimEnd()}\n`;
}
