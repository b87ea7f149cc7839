import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { framingProblem } from './framing.js';

const req = (raw: string[], version = '1.1') =>
  ({
    rawHeaders: raw,
    httpVersionMajor: 1,
    httpVersionMinor: Number(version.split('.')[1]),
  }) as unknown as IncomingMessage;

describe('framingProblem', () => {
  const bad: [string, string[], RegExp][] = [
    ['CL + TE', ['Host', 'a', 'Content-Length', '3', 'Transfer-Encoding', 'chunked'], /both/],
    ['two CL', ['Host', 'a', 'Content-Length', '3', 'content-length', '3'], /more than one Content-Length/],
    ['signed CL', ['Host', 'a', 'Content-Length', '+3'], /invalid Content-Length/],
    ['TE list', ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'], /unsupported Transfer-Encoding/],
    [
      'TE twice',
      ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'],
      /unsupported/,
    ],
    ['control char', ['Host', 'a', 'X', 'a\u0000b'], /control character/],
    ['two hosts', ['Host', 'a', 'Host', 'b'], /more than one Host/],
    ['no host', [], /missing Host/],
  ];
  it.each(bad)('%s is refused', (_n, raw, why) => {
    expect(framingProblem(req(raw))).toMatch(why);
  });

  it('accepts clean framings', () => {
    expect(framingProblem(req(['Host', 'a', 'Content-Length', '3']))).toBeUndefined();
    expect(framingProblem(req(['Host', 'a', 'Transfer-Encoding', 'Chunked']))).toBeUndefined();
    expect(framingProblem(req([], '1.0'))).toBeUndefined();
    expect(framingProblem(req(['Host', 'a', 'X', 'tab\tok']))).toBeUndefined();
  });
});
