// Frontend messages the gateway writes to the upstream that pg-protocol's serializer does not
// write the way a proxy needs (its startup message always forces client_encoding=UTF8).

/** StartupMessage for protocol 3.0 with exactly these parameters. */
export function startupMessage(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(params))
    parts.push(Buffer.from(`${k}\0${v.replaceAll('\0', '')}\0`, 'utf8'));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const b = Buffer.allocUnsafe(body.length + 8);
  b.writeInt32BE(body.length + 8, 0);
  b.writeInt32BE(196608, 4);
  body.copy(b, 8);
  return b;
}
