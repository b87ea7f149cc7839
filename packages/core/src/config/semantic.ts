// Checks the schema cannot express: references between sections, uniqueness, files on disk,
// and rules that fit the protocols of the connections using their policy. Runs on the raw
// (env-resolved) document and tolerates any shape, so it can report alongside schema problems.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { sshKeyWarning } from './formats.js';
import type { Segment } from './validate.js';

export interface SemanticProblem {
  path: Segment[];
  at: 'key' | 'value';
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const RULE_KEY_FOR: Record<string, string> = { postgres: 'sql', ssh: 'shell', http: 'http' };

export function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

export function checkSemantics(
  doc: unknown,
  baseDir: string,
): { problems: SemanticProblem[]; warnings: SemanticProblem[] } {
  const problems: SemanticProblem[] = [];
  const warnings: SemanticProblem[] = [];
  if (!isObj(doc)) return { problems, warnings };
  const err = (path: Segment[], message: string, at: 'key' | 'value' = 'value') =>
    problems.push({ path, at, message });

  const mustExist = (path: Segment[], what: string) => {
    const p = str(valueAt(doc, path));
    if (p === undefined || p === '') return;
    const full = resolvePath(baseDir, p);
    try {
      if (!statSync(full).isFile()) err(path, `${what} ${full} is not a file`);
    } catch {
      err(path, `${what} ${full} does not exist`);
    }
  };

  // identity
  const identity = isObj(doc.identity) ? doc.identity : undefined;
  if (identity) {
    const issuers = arr(identity.issuers);
    const seenIss = new Map<string, number>();
    issuers.forEach((iss, i) => {
      if (!isObj(iss)) return;
      const path: Segment[] = ['identity', 'issuers', i];
      const hasUri = iss.jwks_uri !== undefined;
      const hasFile = iss.jwks_file !== undefined;
      if (hasUri === hasFile) {
        err(
          path,
          hasUri ? 'set only one of jwks_uri and jwks_file' : 'missing "jwks_uri" or "jwks_file"',
          'key',
        );
      }
      if (hasFile) checkJwksFile(doc, [...path, 'jwks_file'], baseDir, err);
      const name = str(iss.issuer);
      if (name !== undefined) {
        const first = seenIss.get(name);
        if (first !== undefined)
          err([...path, 'issuer'], `duplicate issuer "${name}" (also identity.issuers[${first}])`);
        else seenIss.set(name, i);
      }
    });
    const seenKeys = new Map<string, number>();
    arr(identity.ssh_keys).forEach((k, i) => {
      const key = isObj(k) ? str(k.public_key) : undefined;
      const data = key?.trim().split(/\s+/)[1];
      if (data && !data.includes('...')) {
        const first = seenKeys.get(data);
        // One key, two identities: which one would it be? Refuse rather than pick.
        if (first !== undefined) {
          err(
            ['identity', 'ssh_keys', i, 'public_key'],
            `the same key is already listed at identity.ssh_keys[${first}]`,
          );
        } else seenKeys.set(data, i);
      }
      const w = key && key.trim().split(/\s+/).length >= 2 ? sshKeyWarning(key) : undefined;
      if (w) warnings.push({ path: ['identity', 'ssh_keys', i, 'public_key'], at: 'value', message: w });
    });
    if (issuers.length === 0 && arr(identity.ssh_keys).length === 0) {
      err(['identity'], 'no issuers and no ssh_keys: nobody could authenticate', 'key');
    }
  }

  // connections
  const policies = isObj(doc.policies) ? doc.policies : {};
  const connections = arr(doc.connections);
  const names = new Map<string, number>();
  const listens = new Map<string, string>();
  const adminListen = isObj(doc.admin) ? str(doc.admin.listen) : undefined;
  if (adminListen && !adminListen.endsWith(':0')) listens.set(adminListen, 'admin.listen');
  const usersOfPolicy = new Map<string, { protocol: string; name: string }[]>();
  connections.forEach((c, i) => {
    if (!isObj(c)) return;
    const path: Segment[] = ['connections', i];
    const name = str(c.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        err([...path, 'name'], `duplicate connection name "${name}" (also connections[${first}])`);
      else names.set(name, i);
    }
    const listen = str(c.listen);
    if (listen !== undefined && !listen.endsWith(':0')) {
      const first = listens.get(listen);
      if (first !== undefined)
        err([...path, 'listen'], `listen address ${listen} is already used by ${first}`);
      else listens.set(listen, `connections[${i}]`);
    }
    const policy = str(c.policy);
    if (policy !== undefined) {
      if (!Object.hasOwn(policies, policy)) {
        const known = Object.keys(policies);
        err(
          [...path, 'policy'],
          `unknown policy "${policy}"${known.length > 0 ? ` (defined: ${known.join(', ')})` : ' (no policies are defined)'}`,
        );
      } else if (typeof c.protocol === 'string' && Object.hasOwn(RULE_KEY_FOR, c.protocol)) {
        const users = usersOfPolicy.get(policy) ?? [];
        users.push({ protocol: c.protocol, name: name ?? `connections[${i}]` });
        usersOfPolicy.set(policy, users);
      }
    }
    if (isObj(c.tls)) {
      mustExist([...path, 'tls', 'cert_file'], 'certificate file');
      mustExist([...path, 'tls', 'key_file'], 'key file');
    }
    const up = isObj(c.upstream) ? c.upstream : undefined;
    if (up) {
      mustExist([...path, 'upstream', 'ca_file'], 'CA file');
      if (c.protocol === 'ssh') {
        mustExist([...path, 'upstream', 'private_key_file'], 'private key file');
        const hasFile = up.private_key_file !== undefined;
        const hasKey = up.private_key !== undefined;
        if (hasFile === hasKey) {
          err(
            [...path, 'upstream'],
            hasFile
              ? 'set only one of private_key_file and private_key'
              : 'missing "private_key_file" (or "private_key")',
            'key',
          );
        }
        if (up.host_key === undefined && up.insecure_skip_host_key !== true) {
          err([...path, 'upstream'], 'missing "host_key" (pin the upstream host key)', 'key');
        }
        const hk = str(up.host_key);
        const w = hk && hk.trim().split(/\s+/).length >= 2 ? sshKeyWarning(hk) : undefined;
        if (w) warnings.push({ path: [...path, 'upstream', 'host_key'], at: 'value', message: w });
      }
    }
  });

  // policies
  for (const [pname, p] of Object.entries(policies)) {
    if (!isObj(p)) continue;
    const users = usersOfPolicy.get(pname) ?? [];
    // A review no rule produced goes to the policy's approvers, else to its review rules' approvers.
    const ruleless = (['default', 'on_parse_error'] as const).filter((k) => p[k] === 'review');
    const someApprover =
      arr(p.approvers).length > 0 ||
      arr(p.rules).some((r) => isObj(r) && r.action === 'review' && arr(r.approvers).length > 0);
    if (ruleless.length > 0 && !someApprover) {
      warnings.push({
        path: ['policies', pname, ruleless[0]],
        at: 'value',
        message: `nobody can approve these reviews: set policies.${pname}.approvers (otherwise each one is denied after approvals.default_timeout)`,
      });
    }
    const ruleNames = new Map<string, number>();
    arr(p.rules).forEach((r, i) => {
      if (!isObj(r)) return;
      const path: Segment[] = ['policies', pname, 'rules', i];
      const rname = str(r.name);
      if (rname !== undefined) {
        const first = ruleNames.get(rname);
        if (first !== undefined)
          err([...path, 'name'], `duplicate rule name "${rname}" in policy ${pname} (also rules[${first}])`);
        else ruleNames.set(rname, i);
      }
      if (r.action === 'review' && arr(r.approvers).length === 0) {
        err(path, 'action review needs "approvers" (the groups that may approve)', 'key');
      }
      if (isObj(r.when)) {
        const present = ['sql', 'shell', 'http'].filter((k) => r.when && (r.when as Obj)[k] !== undefined);
        if (present.length === 0) err([...path, 'when'], 'needs one of sql, shell, http', 'key');
        else if (present.length > 1) {
          err(
            [...path, 'when', present[1]],
            `only one of sql, shell, http per rule (also has ${present[0]})`,
            'key',
          );
        } else {
          const key = present[0];
          for (const u of users) {
            if (RULE_KEY_FOR[u.protocol] !== key) {
              err(
                [...path, 'when', key],
                `${key === 'http' ? 'an' : 'a'} ${key} rule cannot match on ${u.protocol} connection "${u.name}" (which uses this policy; it needs ${RULE_KEY_FOR[u.protocol]} rules)`,
                'key',
              );
              break;
            }
          }
        }
      }
    });
  }
  return { problems, warnings };
}

function valueAt(doc: unknown, path: Segment[]): unknown {
  let v: unknown = doc;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isObj(v) && typeof seg === 'string' && Object.hasOwn(v, seg)) v = v[seg];
    else return undefined;
  }
  return v;
}

function checkJwksFile(
  doc: Obj,
  path: Segment[],
  baseDir: string,
  err: (path: Segment[], message: string) => void,
): void {
  const p = str(valueAt(doc, path));
  if (!p) return;
  const full = resolvePath(baseDir, p);
  if (!existsSync(full)) {
    err(path, `JWKS file ${full} does not exist`);
    return;
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(full, 'utf8'));
    if (!isObj(parsed) || !Array.isArray(parsed.keys)) err(path, `JWKS file ${full} has no "keys" list`);
    else if (parsed.keys.some((k) => isObj(k) && ('d' in k || 'k' in k))) {
      err(path, `JWKS file ${full} holds private or symmetric key material; publish public keys only`);
    }
  } catch (e) {
    err(path, `JWKS file ${full} is not JSON (${(e as Error).message})`);
  }
}
