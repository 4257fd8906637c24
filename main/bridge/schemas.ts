import { isAbsolute } from 'node:path';
import * as z from 'zod';
import type { CommandArgs, CommandName } from '../../preload/contract/commands.js';
import type { DestinationInput, FailureCause, SettingsPatch, WatchInput } from '../../preload/contract/views.js';

/**
 * Every command's arguments as main accepts them. Each schema is typed against the contract (`satisfies` below), so a
 * command added, removed or changed there fails the build until its schema follows.
 */
const jobId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const jobTarget = z.union([z.literal('all'), z.array(jobId).max(100_000)]);
const causes = ['signed-out', 'file-gone', 'server-refused', 'verification', 'network', 'server-broken', 'setup', 'other'] as const satisfies readonly FailureCause[];
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a destination name is letters, digits, ".", "_" or "-" (up to 64)');
const remoteDir = z
  .string()
  .max(1024)
  .refine((dir) => !dir.split(/[\\/]/).includes('..'), 'a remote folder must not contain ".."');
const absolutePath = z.string().min(1).max(4096).refine(isAbsolute, 'expected an absolute path');
const text = z.string().min(1).max(2048);
const bytes = z.number().int().positive().max(2 ** 40);

const destinationInput = z.strictObject({
  name,
  provider: z.enum(['graph', 'box', 'apideck', 'tus', 's3']),
  endpoint: text.optional(),
  token: z.string().min(1).max(16_384).optional(),
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name').optional(),
  clientId: text.optional(),
  clientSecret: z.string().min(1).max(4096).optional(),
  tenant: text.optional(),
  authority: text.optional(),
  authorizeUrl: text.optional(),
  tokenUrl: text.optional(),
  driveId: text.optional(),
  apiEndpoint: text.optional(),
  conflict: z.string().max(32).optional(),
  fragmentSizeBytes: bytes.optional(),
  appId: text.optional(),
  consumerId: text.optional(),
  serviceId: text.optional(),
  folderId: text.optional(),
  region: z.string().max(64).optional(),
  bucket: z.string().max(255).optional(),
  prefix: z.string().max(1024).optional(),
  accessKeyId: text.optional(),
  forcePathStyle: z.boolean().optional(),
  partSizeBytes: bytes.optional(),
}) satisfies z.ZodType<DestinationInput>;

const watchInput = z.strictObject({
  dir: absolutePath,
  destination: name,
  remoteDir: remoteDir.optional(),
  ignorePatterns: z.array(z.string().min(1).max(512)).max(200).optional(),
  includeHidden: z.boolean().optional(),
}) satisfies z.ZodType<WatchInput>;

const settingsPatch = z.strictObject({
  filesAtOnce: z.number().int().min(1).max(16).optional(),
  defaultDestination: name.nullable().optional(),
  warningWindowMin: z.number().int().min(1).max(1440).optional(),
  theme: z.enum(['system', 'light', 'dark']).optional(),
  bandwidthLimit: z.string().min(1).max(512).optional(),
  stallTimeoutSec: z.number().int().min(1).max(3600).optional(),
  keepPausedSessionsAlive: z.boolean().optional(),
}) satisfies z.ZodType<SettingsPatch>;

export const COMMAND_ARGS = {
  snapshot: z.tuple([]),
  listFinished: z.tuple([]),
  getParts: z.tuple([jobId]),
  releaseParts: z.tuple([jobId]),
  addFiles: z.tuple([z.array(absolutePath).min(1).max(100_000), name.optional(), remoteDir.optional()]),
  pauseJobs: z.tuple([jobTarget]),
  pauseAllFor: z.tuple([z.number().int().min(60_000).max(7 * 24 * 3_600_000)]),
  resumeJobs: z.tuple([jobTarget]),
  cancelJobs: z.tuple([jobTarget]),
  retryJobs: z.tuple([z.union([jobTarget, z.strictObject({ cause: z.enum(causes) })])]),
  clearFinished: z.tuple([]),
  listDestinations: z.tuple([]),
  addDestination: z.tuple([destinationInput]),
  removeDestination: z.tuple([name]),
  signIn: z.tuple([name]),
  cancelSignIn: z.tuple([name]),
  addWatch: z.tuple([watchInput]),
  removeWatch: z.tuple([jobId]),
  pauseWatch: z.tuple([jobId]),
  resumeWatch: z.tuple([jobId]),
  updateSettings: z.tuple([settingsPatch]),
  remoteLink: z.tuple([jobId]),
  revealFile: z.tuple([jobId]),
  openLog: z.tuple([]),
  exportDiagnostics: z.tuple([]),
} satisfies { [K in CommandName]: z.ZodType<CommandArgs<K>> };

/** A validation failure in plain words: which argument, what was expected. */
export function describeIssue(command: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${command}: invalid arguments.`;
  const [index, ...rest] = issue.path;
  const where = typeof index === 'number' ? `argument ${index + 1}${rest.length > 0 ? ` (${rest.join('.')})` : ''}` : 'the arguments';
  return `${command}: ${where}: ${issue.message}.`;
}
