import type { UploadProtocol } from '../../main/protocols/upload-protocol.js';

/** A generic fault, mapped by each fixture onto its emulator's operation names. */
export type GenericFault = 'rate-limit-storm' | 'server-error' | 'reset-mid-part' | 'malformed-reply';

/**
 * One server kind under test: every protocol adapter runs the same conformance cases against its fixture.
 * Adding a protocol means writing a fixture and passing the suite.
 */
export interface ServerUnderTest {
  /** A fresh adapter talking to this server. */
  protocol(): UploadProtocol;
  /** `hoist dest add NAME` arguments for this server (provider, endpoint, token, ids). */
  destAddArgs(): string[];
  /** Part size the adapter will use here (so tests can reason about re-sends and kill points). */
  partBytes: number;
  /** Parts one file may have in flight at once. */
  inFlightParts: number;
  /** Most parts a resume after kill -9 may send again (in flight, plus what the protocol cannot report as held). */
  resendableParts: number;
  /** sha256 of the committed file at remotePath, or undefined when there is none. */
  committedSha256(remotePath: string): Promise<string | undefined>;
  /** Every upload body byte the server received (accepted or not). */
  bytesReceived(): number;
  /** Bytes the server holds of the newest unfinished upload. */
  storedBytes(): number;
  /** Upload sessions the server has seen created. */
  sessionsCreated(): number;
  setThroughput(bytesPerSec: number | undefined): void;
  /** Arms a fault on part uploads, firing `times` times from the nth part request on. */
  inject(fault: GenericFault, nth: number, times: number): void;
  clearFaults(): void;
  /** Expires every open upload session. */
  expireSessions(): void | Promise<void>;
  /** The server forgets one stored part of the newest session (false when the protocol cannot lose a middle part). */
  losePart(): boolean | Promise<boolean>;
  close(): Promise<void>;
}

export interface ConformanceFixture {
  name: string;
  start(dir: string): Promise<ServerUnderTest>;
}
