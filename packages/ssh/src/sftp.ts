// The sftp subsystem, proxied request by request: ssh2's SFTP server faces the agent, its SFTP
// client faces the upstream. Every path operation is judged (paths made absolute, symlinks
// resolved upstream too); reads and writes ride on the decision taken when their handle opened.
import { posix } from 'node:path';
import { denialMessage, type FileOp } from '@portcullis/core';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { masksNothing, ReadScanner, RIGHT_CONTEXT } from './sftp-scan.js';
import { utils } from './ssh2-runtime.js';

const { OPEN_MODE, STATUS_CODE } = utils.sftp;
const WRITE_FLAGS = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC;
/** The most a READ is answered with (OpenSSH asks for 32 KiB; its sftp-server caps at 256 KiB). */
const MAX_READ = 256 * 1024;

interface OpenHandle {
  path: string;
  dir: boolean;
  read: number;
  written: number;
  /** Checks READ data for secrets (created on the first READ when the policy masks anything). */
  scanner?: ReadScanner;
  /** The handle's READ responses, checked and sent one after another in request order. */
  queue: Promise<void>;
  /** Set when a READ was refused for holding a secret: every later READ gets the same answer. */
  refusal?: string;
}

type SftpError = Error & { code?: number };

export async function runSftp(ctx: ChannelContext, agent: SFTPWrapper): Promise<void> {
  // Handlers go on at once (the agent's first requests arrive before the upstream is ready);
  // each one waits for the upstream sftp session and the home directory.
  const ready = (async () => {
    const up = await new Promise<SFTPWrapper>((resolve, reject) => {
      ctx.upstream.sftp((err, s) => (err ? reject(err) : resolve(s)));
    });
    const home = await new Promise<string>((resolve) => up.realpath('.', (err, p) => resolve(err ? '/' : p)));
    return { up, home };
  })();
  const proxy = new SftpProxy(ctx, agent, ready);
  proxy.start();
  try {
    await ready;
  } catch (err) {
    ctx.session.record('error', { message: `upstream sftp failed: ${(err as Error).message}` });
    agent.end();
  }
}

class SftpProxy {
  private readonly handles = new Map<string, OpenHandle>();
  private up!: SFTPWrapper;
  private home = '/';

  constructor(
    private readonly ctx: ChannelContext,
    private readonly agentSide: SFTPWrapper,
    private readonly ready: Promise<{ up: SFTPWrapper; home: string }>,
  ) {}

  start(): void {
    const raw = this.agentSide;
    let gone = false;
    this.ready.then(
      (r) => {
        this.up = r.up;
        this.home = r.home;
        r.up.on('close', () => raw.end());
        if (gone) r.up.end();
      },
      () => undefined,
    );
    const close = () => {
      gone = true;
      for (const h of this.handles.values()) this.recordClose(h);
      this.handles.clear();
      this.up?.end();
    };
    raw.on('end', () => {
      close();
      // The agent's EOF ends the subsystem; clients (scp) want an exit status as sftp-server sends.
      sendExitStatus(raw, 0);
      raw.end();
    });
    raw.on('close', close);
    this.ctx.onAbort(() => raw.end());
    // Every request handler runs once the upstream side is ready, in arrival order.
    const agent = {
      on: (event: string, handler: (id: number, ...args: never[]) => void) => {
        raw.on(event, (id: number, ...args: never[]) => {
          this.ready.then(
            () => handler(id, ...args),
            () => raw.status(id, STATUS_CODE.FAILURE, 'upstream sftp unavailable'),
          );
        });
        return agent;
      },
      handle: (id: number, h: Buffer) => raw.handle(id, h),
      status: (id: number, code: number, msg?: string) => raw.status(id, code, msg),
      data: (id: number, d: Buffer) => raw.data(id, d),
      name: (id: number, n: FileEntry[]) => raw.name(id, n),
      attrs: (id: number, a: Attributes) => raw.attrs(id, a),
    };

    agent.on('OPEN', (id: number, path: string, flags: number, attrs: Attributes) => {
      const op: FileOp = flags & WRITE_FLAGS ? 'open-write' : 'open-read';
      this.guarded(id, op, [path], (paths) =>
        this.up.open(paths[0], flags, attrs, (err, handle) => {
          if (err) return this.fail(id, err);
          this.handles.set(handle.toString('hex'), {
            path: paths[0],
            dir: false,
            read: 0,
            written: 0,
            queue: Promise.resolve(),
          });
          agent.handle(id, handle);
        }),
      );
    });
    agent.on('OPENDIR', (id: number, path: string) => {
      this.guarded(id, 'readdir', [path], (paths) =>
        this.up.opendir(paths[0], (err, handle) => {
          if (err) return this.fail(id, err);
          this.handles.set(handle.toString('hex'), {
            path: paths[0],
            dir: true,
            read: 0,
            written: 0,
            queue: Promise.resolve(),
          });
          agent.handle(id, handle);
        }),
      );
    });
    agent.on('READ', (id: number, handle: Buffer, offset: number, length: number) => {
      const h = this.handle(id, handle, false);
      if (!h) return;
      if (this.masksNothing) {
        const buf = Buffer.allocUnsafe(Math.min(length, MAX_READ));
        this.up.read(handle, buf, 0, buf.length, offset, (err, n) => {
          if (err) return this.fail(id, err);
          if (n === 0) return agent.status(id, STATUS_CODE.EOF);
          h.read += n;
          agent.data(id, buf.subarray(0, n));
        });
        return;
      }
      this.maskedRead(id, h, handle, offset, Math.min(length, MAX_READ));
    });
    agent.on('WRITE', (id: number, handle: Buffer, offset: number, data: Buffer) => {
      const h = this.handle(id, handle, false);
      if (!h) return;
      h.scanner?.invalidate();
      this.up.write(handle, data, 0, data.length, offset, (err) => {
        if (err) return this.fail(id, err);
        h.written += data.length;
        agent.status(id, STATUS_CODE.OK);
      });
    });
    agent.on('READDIR', (id: number, handle: Buffer) => {
      if (!this.handle(id, handle, true)) return;
      readdirFull(this.up, handle, (err, list) => {
        if (err) return this.fail(id, err);
        agent.name(id, list ?? []);
      });
    });
    agent.on('FSTAT', (id: number, handle: Buffer) => {
      if (!this.handle(id, handle)) return;
      this.up.fstat(handle, (err, stats) => (err ? this.fail(id, err) : agent.attrs(id, stats)));
    });
    agent.on('FSETSTAT', (id: number, handle: Buffer, attrs: Attributes) => {
      const h = this.handle(id, handle);
      if (!h) return;
      this.guarded(id, 'setstat', [h.path], () =>
        this.up.fsetstat(handle, attrs, (err) => this.done(id, err)),
      );
    });
    agent.on('CLOSE', (id: number, handle: Buffer) => {
      const key = handle.toString('hex');
      const h = this.handles.get(key);
      if (!h) return agent.status(id, STATUS_CODE.FAILURE, 'invalid handle');
      this.handles.delete(key);
      this.recordClose(h);
      this.up.close(handle, (err) => this.done(id, err));
    });
    agent.on('STAT', (id: number, path: string) => {
      this.guarded(id, 'stat', [path], (p) =>
        this.up.stat(p[0], (err, s) => (err ? this.fail(id, err) : agent.attrs(id, s))),
      );
    });
    agent.on('LSTAT', (id: number, path: string) => {
      this.guarded(
        id,
        'stat',
        [path],
        (p) => this.up.lstat(p[0], (err, s) => (err ? this.fail(id, err) : agent.attrs(id, s))),
        false,
      );
    });
    agent.on('SETSTAT', (id: number, path: string, attrs: Attributes) => {
      this.guarded(id, 'setstat', [path], (p) => this.up.setstat(p[0], attrs, (err) => this.done(id, err)));
    });
    agent.on('REMOVE', (id: number, path: string) => {
      this.guarded(id, 'remove', [path], (p) => this.up.unlink(p[0], (err) => this.done(id, err)), false);
    });
    agent.on('RMDIR', (id: number, path: string) => {
      this.guarded(id, 'rmdir', [path], (p) => this.up.rmdir(p[0], (err) => this.done(id, err)));
    });
    agent.on('MKDIR', (id: number, path: string, attrs: Attributes) => {
      this.guarded(id, 'mkdir', [path], (p) => this.up.mkdir(p[0], attrs, (err) => this.done(id, err)));
    });
    agent.on('RENAME', (id: number, from: string, to: string) => {
      this.guarded(
        id,
        'rename',
        [from, to],
        (p) => this.up.rename(p[0], p[1], (err) => this.done(id, err)),
        false,
      );
    });
    agent.on('SYMLINK', (id: number, linkPath: string, targetPath: string) => {
      // The target is judged as written (relative to the link's directory), so a link cannot open a side door.
      const target = posix.isAbsolute(targetPath)
        ? targetPath
        : posix.join(posix.dirname(this.abs(linkPath)), targetPath);
      this.guarded(
        id,
        'symlink',
        [linkPath, target],
        (p) => this.up.symlink(targetPath, p[0], (err) => this.done(id, err)),
        false,
      );
    });
    agent.on('READLINK', (id: number, path: string) => {
      this.guarded(
        id,
        'readlink',
        [path],
        (p) =>
          this.up.readlink(p[0], (err, target) =>
            err
              ? this.fail(id, err)
              : agent.name(id, [{ filename: target, longname: target, attrs: {} as Attributes }]),
          ),
        false,
      );
    });
    agent.on('REALPATH', (id: number, path: string) => {
      this.guarded(
        id,
        'realpath',
        [path],
        (p) =>
          this.up.realpath(p[0], (err, abs) =>
            err
              ? this.fail(id, err)
              : agent.name(id, [{ filename: abs, longname: abs, attrs: {} as Attributes }]),
          ),
        false,
      );
    });
    agent.on('EXTENDED', (id: number) => {
      agent.status(id, STATUS_CODE.OP_UNSUPPORTED, 'extension not supported by the gateway');
    });
  }

  /** Policies without masking detectors relay READ data untouched (and read nothing extra). */
  private get masksNothing(): boolean {
    return masksNothing(this.ctx.session.masker());
  }

  /**
   * A READ when the policy masks: the upstream is asked for RIGHT_CONTEXT bytes more than the agent
   * (what follows decides a value that may still be growing), the response is checked by the handle's
   * scanner in request order, and refused — this one and every later one — if it holds a secret.
   */
  private maskedRead(id: number, h: OpenHandle, handle: Buffer, offset: number, want: number): void {
    const buf = Buffer.allocUnsafe(want + RIGHT_CONTEXT);
    const got = new Promise<{ err?: SftpError; n: number }>((resolve) =>
      this.up.read(handle, buf, 0, buf.length, offset, (err, n) => resolve({ err, n })),
    );
    h.scanner ??= new ReadScanner(this.ctx.session.masker(), (at, len) => this.readFully(handle, at, len));
    const scanner = h.scanner;
    h.queue = h.queue
      .then(async () => {
        const { err, n } = await got;
        if (h.refusal) return this.agentSide.status(id, STATUS_CODE.PERMISSION_DENIED, h.refusal);
        if (err) return this.fail(id, err);
        if (n === 0) return this.agentSide.status(id, STATUS_CODE.EOF);
        const data = buf.subarray(0, Math.min(n, want));
        const hit = await scanner.check(offset, data, buf.subarray(data.length, n), n < buf.length);
        if (hit) return this.refuseRead(id, h, hit, offset);
        h.read += data.length;
        this.agentSide.data(id, data);
      })
      .catch((err: Error) => {
        // A check that could not be made (the context read failed) sends nothing.
        this.ctx.log.error('sftp read check failed', { session: this.ctx.session.id, error: err.message });
        this.agentSide.status(id, STATUS_CODE.FAILURE, `portcullis: ${err.message}`);
      });
  }

  private refuseRead(id: number, h: OpenHandle, detectors: string[], offset: number): void {
    if (!h.refusal) {
      h.refusal = `portcullis: ${h.path} holds data masking would hide (${detectors.join(', ')}); SFTP transfers cannot be masked — read it with a command, whose output is masked`;
      this.ctx.session.record('error', {
        message: h.refusal,
        code: 'sftp_masking',
        path: h.path,
        offset,
        detectors,
      });
      sendStderr(this.agentSide, `${h.refusal}\n`);
    }
    this.agentSide.status(id, STATUS_CODE.PERMISSION_DENIED, h.refusal);
  }

  /** length bytes at offset (fewer only at the end of the file). */
  private async readFully(handle: Buffer, offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = await new Promise<number>((resolve, reject) =>
        this.up.read(handle, buf, got, length - got, offset + got, (err, k) =>
          err ? reject(err) : resolve(k),
        ),
      );
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  private abs(path: string): string {
    return posix.resolve(this.home, path || '.');
  }

  /**
   * Judges an operation on its paths (absolute; plus where an existing path really leads, per the
   * upstream's realpath) and runs it only when allowed. Denied → PERMISSION_DENIED with the reason.
   */
  private guarded(
    id: number,
    op: FileOp,
    paths: string[],
    run: (abs: string[]) => void,
    followLinks = true,
  ): void {
    void (async () => {
      const abs = paths.map((p) => this.abs(p));
      const judged = new Set(abs);
      for (const p of abs) {
        // A path that does not exist yet (or a link judged as itself) resolves through its directory.
        const viaDir = async () => {
          const dir = await this.realpath(posix.dirname(p));
          return dir ? posix.join(dir, posix.basename(p)) : undefined;
        };
        const real = (followLinks ? await this.realpath(p) : undefined) ?? (await viaDir());
        if (real) judged.add(real);
      }
      const decision = await this.ctx.session.judge(
        { kind: 'file', op, paths: [...judged], via: 'sftp' },
        { signal: this.ctx.signal },
      );
      if (decision.action !== 'allow') {
        this.agentSide.status(id, STATUS_CODE.PERMISSION_DENIED, denialMessage(decision));
        return;
      }
      run(abs);
    })().catch((err: Error) => {
      this.ctx.log.error('sftp request failed', { session: this.ctx.session.id, error: err.message });
      this.agentSide.status(id, STATUS_CODE.FAILURE, `portcullis: ${err.message}`);
    });
  }

  private realpath(path: string): Promise<string | undefined> {
    return new Promise((resolve) => this.up.realpath(path, (err, p) => resolve(err ? undefined : p)));
  }

  private handle(id: number, handle: Buffer, dir?: boolean): OpenHandle | undefined {
    const h = this.handles.get(handle.toString('hex'));
    // Only handles this proxy opened (and judged) are usable.
    if (!h || (dir !== undefined && h.dir !== dir)) {
      this.agentSide.status(id, STATUS_CODE.FAILURE, 'invalid handle');
      return undefined;
    }
    return h;
  }

  private done(id: number, err: SftpError | undefined | null): void {
    if (err) this.fail(id, err);
    else this.agentSide.status(id, STATUS_CODE.OK);
  }

  private fail(id: number, err: SftpError): void {
    const code = typeof err.code === 'number' ? err.code : STATUS_CODE.FAILURE;
    this.agentSide.status(id, code, err.message);
  }

  private recordClose(h: OpenHandle): void {
    if (h.dir) return;
    this.ctx.session.record('result', {
      path: h.path,
      bytes_read: h.read,
      bytes_written: h.written,
      ...(h.refusal ? { refused: 'masking' } : {}),
    });
  }
}

// ssh2's readdir drops "." and ".." unless asked for the full listing (its types omit the option).
type ReaddirFull = (
  handle: Buffer,
  opts: { full: boolean },
  cb: (err: SftpError | undefined, list?: FileEntry[]) => void,
) => void;
function readdirFull(
  up: SFTPWrapper,
  handle: Buffer,
  cb: (err: SftpError | undefined, list?: FileEntry[]) => void,
): void {
  (up.readdir as unknown as ReaddirFull).call(up, handle, { full: true }, cb);
}

// ssh2's server-side SFTP object has no exit() or stderr; it carries its channel's protocol and ids.
interface SftpChannelInternals {
  _protocol?: {
    exitStatus(chan: number, status: number): void;
    channelEOF(chan: number): void;
    channelExtData(chan: number, data: Buffer, type: number): void;
  };
  outgoing?: { id: number; state: string; window: number; packetSize: number };
}

/**
 * A line on the sftp channel's stderr: OpenSSH's sftp/scp print only the status code's text
 * ("Permission denied"), but the ssh process they run shows the channel's stderr. Sent only when the
 * agent's window has room (the SFTP stream shares it); counted against the window as ssh2 does.
 */
function sendStderr(sftp: SFTPWrapper, text: string): void {
  const ch = sftp as unknown as SftpChannelInternals;
  const out = ch.outgoing;
  const data = Buffer.from(text);
  if (!ch._protocol || !out || out.state !== 'open') return;
  if (typeof out.window !== 'number' || out.window < data.length || data.length > out.packetSize) return;
  out.window -= data.length;
  ch._protocol.channelExtData(out.id, data, 1);
}
function sendExitStatus(sftp: SFTPWrapper, status: number): void {
  const ch = sftp as unknown as SftpChannelInternals;
  if (!ch._protocol || !ch.outgoing || ch.outgoing.state !== 'open') return;
  ch._protocol.exitStatus(ch.outgoing.id, status);
  ch._protocol.channelEOF(ch.outgoing.id);
  ch.outgoing.state = 'eof';
}
