// The public API: one loaded grammar, a frozen cached result, home handling, limits.
import { describe, expect, it } from 'vitest';
import type { ShellUnit } from '../../types.js';
import { DYNAMIC_COMMANDS, ShellAnalyzer, WRAPPERS } from './index.js';

describe('ShellAnalyzer', () => {
  it('returns a frozen result that later calls share', async () => {
    const a = await ShellAnalyzer.create();
    const r = a.analyze('rm -rf /tmp/x');
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.units[0])).toBe(true);
    expect(a.analyze('rm -rf /tmp/x')).toBe(r);
  });
  it('keys the cache by home as well as text', async () => {
    const a = await ShellAnalyzer.create();
    const p1 = (a.analyze('cat ~/x', { home: '/home/a' }).units[0] as ShellUnit).paths;
    const p2 = (a.analyze('cat ~/x', { home: '/home/b' }).units[0] as ShellUnit).paths;
    expect(p1).toContain('/home/a/x');
    expect(p2).toContain('/home/b/x');
  });
  it('derives home from the user', async () => {
    const a = await ShellAnalyzer.create();
    expect((a.analyze('cat ~/x', { user: 'deploy' }).units[0] as ShellUnit).paths).toContain(
      '/home/deploy/x',
    );
    expect((a.analyze('cat ~/x', { user: 'root' }).units[0] as ShellUnit).paths).toContain('/root/x');
  });
  it('applies configured limits', async () => {
    const a = await ShellAnalyzer.create({ limits: { maxLength: 10, maxUnits: 3 } });
    expect(a.analyze('echo 12345678901').parseError).toMatch(/too long/);
    const b = await ShellAnalyzer.create({ limits: { maxUnits: 3 } });
    expect(b.analyze('a; b; c; d').parseError).toMatch(/too many commands/);
  });
  it('documents its tables', () => {
    expect(WRAPPERS.sudo?.how).toMatch(/-u/);
    expect(DYNAMIC_COMMANDS.eval).toBeDefined();
  });
});
