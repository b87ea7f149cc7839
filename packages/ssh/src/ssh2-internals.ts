// The two things ssh2 (pinned 1.17.0) has no public API for, reached through its internals in one
// place: seeing channel traffic at the packet level (so keepalives are not "activity") and a
// server opening an `auth-agent@openssh.com` channel back to its client (agent forwarding).
import type { Channel, Connection } from 'ssh2';

type Handler = (...args: unknown[]) => unknown;

interface ConnectionInternals {
  _protocol?: {
    _handlers?: Record<string, Handler | undefined>;
    channelData?: Handler;
    channelExtData?: Handler;
    openssh_authAgent?: (chan: number, initWindow: number, maxPacket: number) => void;
  };
  _chanMgr?: { add(cb: unknown): number; remove(id: number): void };
}

// Packets the agent sends that mean someone is using the connection. Global requests
// (keepalive@openssh.com), SSH_MSG_IGNORE and window adjusts are not in the list.
const INBOUND = [
  'CHANNEL_OPEN',
  'CHANNEL_DATA',
  'CHANNEL_EXTENDED_DATA',
  'CHANNEL_REQUEST',
  'CHANNEL_EOF',
  'CHANNEL_CLOSE',
];

/**
 * Calls onActivity for every channel packet in either direction (data, opens, requests).
 * Returns false when ssh2's internals are not the expected shape (the caller falls back).
 */
export function watchChannelActivity(conn: Connection, onActivity: () => void): boolean {
  const proto = (conn as unknown as ConnectionInternals)._protocol;
  const handlers = proto?._handlers;
  if (
    !proto ||
    !handlers ||
    typeof proto.channelData !== 'function' ||
    typeof proto.channelExtData !== 'function'
  )
    return false;
  for (const name of INBOUND) {
    const orig = handlers[name];
    if (typeof orig !== 'function') return false;
    handlers[name] = (...args: unknown[]) => {
      onActivity();
      return orig(...args);
    };
  }
  const data = proto.channelData;
  const ext = proto.channelExtData;
  proto.channelData = function (this: unknown, ...args: unknown[]) {
    onActivity();
    return data.apply(this, args);
  };
  proto.channelExtData = function (this: unknown, ...args: unknown[]) {
    onActivity();
    return ext.apply(this, args);
  };
  return true;
}

// ssh2's own channel sizes (lib/Channel.js): the window and packet size it offers.
const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

/** Opens an `auth-agent@openssh.com` channel to the agent's ssh client (its ssh-agent). */
export function openAgentChannel(
  conn: Connection,
  cb: (err: Error | undefined, channel?: Channel) => void,
): void {
  const internals = conn as unknown as ConnectionInternals;
  const open = internals._protocol?.openssh_authAgent;
  const mgr = internals._chanMgr;
  if (typeof open !== 'function' || !mgr) {
    cb(new Error('this ssh2 version cannot open agent channels'));
    return;
  }
  // ssh2's CHANNEL_OPEN_CONFIRMATION/FAILURE handlers call back a function registered like this one.
  const wrapper = Object.assign((err: Error | undefined, channel?: Channel) => cb(err, channel), {
    type: 'auth-agent@openssh.com',
  });
  const id = mgr.add(wrapper);
  if (id === -1) {
    cb(new Error('no free channels'));
    return;
  }
  open.call(internals._protocol, id, MAX_WINDOW, PACKET_SIZE);
}
