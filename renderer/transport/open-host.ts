import { WS_PATH } from '../../preload/contract/index.js';
import { takeAccessToken } from './access-token.js';
import { steadyLink, type BridgeLink } from './bridge-link.js';
import { connectWsBridge, type SocketLike } from './ws-bridge.js';

/** Turns files the user dropped or chose into local paths (only Electron can; the preload supplies it). */
export type PathsOf = (files: readonly File[]) => string[];

/** Where the window runs: with a bridge, or a browser tab opened without the token. */
export type Host =
  | { kind: 'ready'; link: BridgeLink; token: string | null; pathsOf: PathsOf | null }
  | { kind: 'no-token' };

/** `window.hoist` in Electron; otherwise the WebSocket of `hoist serve`, authorised by the token from the address. */
export function openHost(): Host {
  const preload = window.hoist;
  if (preload !== undefined) return { kind: 'ready', link: steadyLink(preload), token: null, pathsOf: preload.pathsOf ?? null };
  const token = takeAccessToken();
  if (token === null || window.location.protocol === 'file:') return { kind: 'no-token' };
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const link = connectWsBridge({
    url: `${scheme}://${window.location.host}${WS_PATH}?token=${encodeURIComponent(token)}`,
    openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  });
  return { kind: 'ready', link, token, pathsOf: null };
}
