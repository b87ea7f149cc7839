import { describe, expect, it } from 'vitest';
import { ScpSinkAnswers, ScpSinkParser, type SinkItem } from './scp-sink.js';

/** Feeds the stream, answering each entry with `allow(paths)`; returns what the upstream would get. */
function drive(target: string, stream: string, allow: (paths: string[]) => boolean = () => true) {
  const p = new ScpSinkParser(target);
  p.push(Buffer.from(stream, 'latin1'));
  const entries: { name: string; dir: boolean; paths: string[] }[] = [];
  let upstream = '';
  let invalid: string | undefined;
  for (let item: SinkItem | undefined = p.next(); item; item = p.next()) {
    if (item.kind === 'invalid') {
      invalid = item.reason;
      break;
    }
    if (item.kind === 'bytes') {
      upstream += item.bytes.toString('latin1');
      continue;
    }
    entries.push({ name: item.name, dir: item.dir, paths: item.paths });
    const ok = allow(item.paths);
    if (ok) upstream += item.bytes.toString('latin1');
    p.entryDone(ok);
  }
  return { entries, upstream, invalid };
}

describe('ScpSinkParser', () => {
  it('names each uploaded file at the places it may land (inside the target, or the target itself)', () => {
    const r = drive('/home/agent', 'C0644 5 .env\nhello\0');
    expect(r.entries).toEqual([{ name: '.env', dir: false, paths: ['/home/agent/.env', '/home/agent'] }]);
    expect(r.upstream).toBe('C0644 5 .env\nhello\0');
  });

  it('follows D/E records of a recursive upload into the directories they create', () => {
    const r = drive('/home/agent', 'D0700 0 .ssh\nC0600 4 authorized_keys\nkey\n\0E\nC0644 1 b\nx\0');
    expect(r.entries.map((e) => e.paths)).toEqual([
      ['/home/agent/.ssh', '/home/agent'],
      ['/home/agent/.ssh/authorized_keys', '/home/agent/authorized_keys'],
      ['/home/agent/b', '/home/agent'],
    ]);
  });

  it('reads file data as data, even when it looks like records', () => {
    const r = drive('/t', 'C0644 12 a\nC0644 1 .env\0C0644 1 c\nz\0');
    expect(r.entries.map((e) => e.name)).toEqual(['a', 'c']);
  });

  it('a refused entry is not sent and its data never comes: the next bytes are records again', () => {
    const r = drive('/t', 'C0644 3 .env\nC0644 1 ok\nz\0', (paths) => !paths.some((p) => p.endsWith('.env')));
    expect(r.entries.map((e) => e.name)).toEqual(['.env', 'ok']);
    expect(r.upstream).toBe('C0644 1 ok\nz\0');
  });

  it('a refused directory is not entered', () => {
    const r = drive('/t', 'D0755 0 .ssh\nC0644 1 ok\nz\0', (paths) => !paths.some((p) => p.includes('.ssh')));
    expect(r.entries[1].paths).toEqual(['/t/ok', '/t']);
    expect(r.upstream).toBe('C0644 1 ok\nz\0');
  });

  it('passes T records, acks and error records', () => {
    const r = drive('/t', 'T1 0 2 0\nC0644 0 e\n\0\x01scp: warning\n');
    expect(r.invalid).toBeUndefined();
    expect(r.upstream).toBe('T1 0 2 0\nC0644 0 e\n\0\x01scp: warning\n');
  });

  it.each([
    ['a name with a slash', 'C0644 1 ../.env\nx\0'],
    ['a dot-dot name', 'D0755 0 ..\n'],
    ['a NUL in the name', 'C0644 1 ok\0/../x\nx\0'],
    ['an unknown record', 'X hello\n'],
    ['a malformed size', 'C0644 1x a\n'],
    ['an E at the top', 'E\n'],
    ['an over-long record', `C0644 1 ${'a'.repeat(3000)}\n`],
  ])('refuses %s (fail closed)', (_what, stream) => {
    expect(drive('/t', stream).invalid).toBeDefined();
  });

  it('waits for a record split across chunks', () => {
    const p = new ScpSinkParser('/t');
    p.push(Buffer.from('C0644 1 .e'));
    expect(p.next()).toBeUndefined();
    p.push(Buffer.from('nv\n'));
    const item = p.next();
    expect(item?.kind === 'entry' && item.paths).toEqual(['/t/.env', '/t']);
  });
});

describe('ScpSinkAnswers', () => {
  it('hands each answer to what was sent, in order: ok bytes and error records', async () => {
    const a = new ScpSinkAnswers();
    const seen: boolean[] = [];
    a.expect((ok) => seen.push(ok)); // a T record
    const entry = a.next(); // a C record
    a.expect((ok) => seen.push(ok)); // the file's end
    a.feed(Buffer.from('\0\0\x01scp: adir: Is a directory\n'));
    expect(await entry).toBe(false);
    expect(seen).toEqual([true]);
    a.feed(Buffer.from('\0'));
    expect(seen).toEqual([true, true]);
  });

  it('marks bytes the sink answers: T, E, and the ack after a file', () => {
    const p = new ScpSinkParser('/t');
    p.push(Buffer.from('T1 0 2 0\nC0644 1 a\nx\0'));
    const t = p.next();
    expect(t?.kind === 'bytes' && t.answered).toBe(true);
    expect(p.next()?.kind).toBe('entry');
    p.entryDone(true);
    const data = p.next();
    expect(data?.kind === 'bytes' && data.answered).toBe(false);
    const ack = p.next();
    expect(ack?.kind === 'bytes' && ack.answered).toBe(true);
  });
});
