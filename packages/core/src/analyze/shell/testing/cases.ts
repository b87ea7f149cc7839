// Table-driven shell cases: each row is a command and the facts the analyzer must report.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellUnit } from '../../../types.js';
import { ShellAnalyzer } from '../index.js';

export interface ShellCase {
  cmd: string;
  /** Test title when the command is too long to be one. */
  name?: string;
  /** Commands that must be among the units. */
  commands?: string[];
  /** Exactly these commands, in this order. */
  exact?: string[];
  /** Commands that must not be among the units. */
  absent?: string[];
  /** Is any unit dynamic? */
  dynamic?: boolean;
  /** The first unit with this command must have these args (originals or synthetic). */
  args?: Record<string, string[]>;
  /** The first unit with this command must not have these args. */
  noArgs?: Record<string, string[]>;
  /** These paths must be among all units' paths. */
  paths?: string[];
  notPaths?: string[];
  /** A parse error is expected (a RegExp also checks its message). */
  parseError?: boolean | RegExp;
  /** Some unit's notes must match. */
  note?: RegExp;
  home?: string;
  user?: string;
}

let analyzer: ShellAnalyzer;

export function shellCases(title: string, cases: ShellCase[]): void {
  describe(title, () => {
    beforeAll(async () => {
      analyzer ??= await ShellAnalyzer.create();
    });
    it.each(cases.map((c) => [c.name ?? c.cmd.slice(0, 120), c] as const))('%s', (_name, c) => {
      checkCase(analyzer, c);
    });
  });
}

export function checkCase(a: ShellAnalyzer, c: ShellCase): void {
  const r = a.analyze(c.cmd, { home: c.home, user: c.user });
  const units = r.units as ShellUnit[];
  const commands = units.map((u) => u.command);
  const dump = JSON.stringify({ parseError: r.parseError, units }, null, 1);
  if (c.parseError) {
    expect(r.parseError, dump).toBeDefined();
    if (c.parseError instanceof RegExp) expect(r.parseError).toMatch(c.parseError);
    return;
  }
  expect(r.parseError, dump).toBeUndefined();
  if (c.exact) expect(commands, dump).toEqual(c.exact);
  for (const cmd of c.commands ?? []) expect(commands, dump).toContain(cmd);
  for (const cmd of c.absent ?? []) expect(commands, dump).not.toContain(cmd);
  if (c.dynamic !== undefined)
    expect(
      units.some((u) => u.dynamic),
      dump,
    ).toBe(c.dynamic);
  for (const [cmd, args] of Object.entries(c.args ?? {})) {
    const u = units.find((x) => x.command === cmd);
    expect(u, dump).toBeDefined();
    for (const arg of args) expect(u!.args, dump).toContain(arg);
  }
  for (const [cmd, args] of Object.entries(c.noArgs ?? {})) {
    const u = units.find((x) => x.command === cmd);
    expect(u, dump).toBeDefined();
    for (const arg of args) expect(u!.args, dump).not.toContain(arg);
  }
  const paths = units.flatMap((u) => u.paths);
  for (const p of c.paths ?? []) expect(paths, dump).toContain(p);
  for (const p of c.notPaths ?? []) expect(paths, dump).not.toContain(p);
  if (c.note)
    expect(
      units.some((u) => u.notes?.some((n) => c.note!.test(n))),
      dump,
    ).toBe(true);
}
