import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext, type CliContext } from '../../main/app/cli/cli-context.js';
import { destAdd } from '../../main/app/cli/dest-commands.js';
import { memoryKeychain, type KeychainPort } from '../../main/app/keychain/keychain-port.js';
import { osKeychain } from '../../main/app/keychain/os-keychain.js';
import { tokenResolver } from '../../main/app/protocol-factory.js';
import { appPorts } from '../../main/app/serve/app-ports.js';

/**
 * The desktop app and the CLI share tokens through the keychain port: the app stores a token the way its window's "Add
 * destination" does (appPorts over openContext, as main/app/electron/main.ts opens it) and the CLI's own read path
 * (tokenResolver, used by every upload) finds it, and the other way round. Each side opens its own context.
 */
const ENDPOINT = 'http://127.0.0.1:9/v1.0';
let dir: string;
const opened: CliContext[] = [];
const open = (keychain: KeychainPort | undefined) => {
  const ctx = openContext(dir, { HOIST_KEYCHAIN: 'on' }, { keychain });
  opened.push(ctx);
  return ctx;
};
const appSide = (keychain: KeychainPort | undefined) => {
  const ctx = open(keychain);
  return { ctx, ports: appPorts(ctx, { watchesChanged: () => undefined, version: 'test' }) };
};
const cliReads = async (ctx: CliContext, name: string) => tokenResolver(ctx.store.destinations.byName(name)!, ctx.secrets, ctx.env)();

afterEach(() => {
  for (const ctx of opened.splice(0)) ctx.store.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const fresh = () => (dir = mkdtempSync(join(tmpdir(), 'hoist-keychain-')));

describe('a token saved by the app is read by the CLI (in-memory keychain)', () => {
  it('app → CLI: the value lives in the keychain, secrets.json holds only a marker', async () => {
    fresh();
    const keychain = memoryKeychain();
    const app = appSide(keychain);
    app.ports.addDestination({ name: 'OneDrive', provider: 'graph', endpoint: ENDPOINT, token: 'token-from-the-app' });
    const file = readFileSync(join(dir, 'secrets.json'), 'utf8');
    expect(file).not.toContain('token-from-the-app');
    expect(JSON.parse(file)).toEqual({ 'destination:OneDrive': { keychain: true } });
    expect([...keychain.entries.values()]).toEqual(['token-from-the-app']);
    expect(app.ports.destinationViews('OneDrive').find((d) => d.name === 'OneDrive')).toMatchObject({ auth: { kind: 'token', isStored: true }, isEncryptedAtRest: true });

    const cli = open(keychain);
    expect(await cliReads(cli, 'OneDrive')).toBe('token-from-the-app');
  });

  it('CLI → app: hoist dest add --token is read by the app\'s destination and upload path', async () => {
    fresh();
    const keychain = memoryKeychain();
    const cli = open(keychain);
    destAdd(cli, 'Work', { provider: 'graph', endpoint: ENDPOINT, token: 'token-from-the-cli' });
    const app = appSide(keychain);
    expect(app.ports.destinationViews('local').find((d) => d.name === 'Work')).toMatchObject({ auth: { kind: 'token', isStored: true } });
    expect(await cliReads(app.ctx, 'Work')).toBe('token-from-the-cli');
    // Removing it in the app removes it from the keychain too.
    app.ports.removeDestination('Work');
    expect(keychain.entries.size).toBe(0);
  });

  it('where no keychain answers (headless Linux), both use the 0600 file, and the view says it is not encrypted', async () => {
    fresh();
    const none = memoryKeychain(false);
    const app = appSide(none);
    app.ports.addDestination({ name: 'Box', provider: 'graph', endpoint: ENDPOINT, token: 'plain-token' });
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toEqual({ 'destination:Box': 'plain-token' });
    if (process.platform !== 'win32') expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(app.ports.destinationViews('local').find((d) => d.name === 'Box')).toMatchObject({ isEncryptedAtRest: false });
    expect(await cliReads(open(undefined), 'Box')).toBe('plain-token');
  });
});

// The machine's real keychain is written only on request: a developer's desktop keychain is not a test fixture.
const real = process.env.HOIST_TEST_REAL_KEYCHAIN === '1' ? osKeychain({ HOIST_KEYCHAIN: 'on' }) : undefined;
const realReason =
  process.env.HOIST_TEST_REAL_KEYCHAIN !== '1'
    ? 'set HOIST_TEST_REAL_KEYCHAIN=1 to write a test token into the OS keychain'
    : real?.isAvailable()
      ? ''
      : 'no OS keychain answers here (no Secret Service on D-Bus, or a locked keychain)';

describe('with the real OS keychain', () => {
  it.skipIf(realReason !== '')(`app → CLI through @napi-rs/keyring${realReason ? ` (skipped: ${realReason})` : ''}`, async () => {
    fresh();
    const app = appSide(real);
    app.ports.addDestination({ name: 'Real', provider: 'graph', endpoint: ENDPOINT, token: `real-${process.pid}` });
    try {
      expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toEqual({ 'destination:Real': { keychain: true } });
      expect(await cliReads(open(osKeychain({ HOIST_KEYCHAIN: 'on' })), 'Real')).toBe(`real-${process.pid}`);
    } finally {
      app.ports.removeDestination('Real');
    }
  });
});
