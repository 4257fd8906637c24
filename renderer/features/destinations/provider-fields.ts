import type { DestinationInput, ProviderKind } from '../../../preload/contract/index.js';

/** How a destination proves who it is, as the form offers it. */
export type AuthMode = 'sign-in' | 'token' | 'token-env' | 'none';

export interface FieldSpec {
  key: keyof DestinationInput;
  label: string;
  kind: 'text' | 'url' | 'password' | 'number' | 'select' | 'checkbox';
  hint?: string;
  placeholder?: string;
  options?: readonly string[];
  isRequired?: boolean;
}

export interface ProviderForm {
  fields: readonly FieldSpec[];
  auth: Partial<Record<AuthMode, readonly FieldSpec[]>>;
}

const endpoint = (placeholder: string, hint = 'Leave empty for the real service.'): FieldSpec => ({ key: 'endpoint', label: 'Endpoint', kind: 'url', placeholder, hint });
const token = (label = 'Access token'): FieldSpec => ({ key: 'token', label, kind: 'password', isRequired: true, hint: 'Kept in Hoist’s secret store; never shown again.' });
const tokenEnv: FieldSpec = { key: 'tokenEnv', label: 'Environment variable', kind: 'text', placeholder: 'HOIST_TOKEN', isRequired: true, hint: 'Read by the process that uploads, each time it needs the token.' };

/** The fields of `hoist dest add` that apply to each provider. */
export const PROVIDER_FORMS: Record<ProviderKind, ProviderForm> = {
  graph: {
    fields: [
      endpoint('https://graph.microsoft.com/v1.0'),
      { key: 'driveId', label: 'Drive id', kind: 'text', hint: 'A SharePoint or shared drive; empty for your own OneDrive.' },
      { key: 'conflict', label: 'When the name exists', kind: 'select', options: ['replace', 'fail', 'rename'] },
      { key: 'fragmentSizeBytes', label: 'Fragment size (bytes)', kind: 'number', placeholder: 'Sized to the link', hint: 'Leave empty and Hoist sizes fragments to the link; a size given here is a multiple of 327,680 under 60 MiB and is kept as given.' },
    ],
    auth: {
      'sign-in': [
        { key: 'clientId', label: 'Application (client) id', kind: 'text', isRequired: true },
        { key: 'tenant', label: 'Tenant', kind: 'text', placeholder: 'common', hint: 'common, organizations, consumers or a tenant id.' },
      ],
      token: [token()],
      'token-env': [tokenEnv],
    },
  },
  box: {
    fields: [
      endpoint('https://upload.box.com/api/2.0'),
      { key: 'apiEndpoint', label: 'API endpoint', kind: 'url', placeholder: 'https://api.box.com/2.0' },
      { key: 'folderId', label: 'Folder id', kind: 'text', placeholder: '0', hint: 'The folder uploads go under; 0 is All Files.' },
      { key: 'conflict', label: 'When the name exists', kind: 'select', options: ['version', 'rename', 'skip'] },
    ],
    auth: {
      'sign-in': [
        { key: 'clientId', label: 'Client id', kind: 'text', isRequired: true },
        { key: 'clientSecret', label: 'Client secret', kind: 'password', isRequired: true },
      ],
      token: [token('Developer token')],
      'token-env': [tokenEnv],
    },
  },
  apideck: {
    fields: [
      endpoint('https://unify.apideck.com'),
      { key: 'appId', label: 'Application id', kind: 'text', isRequired: true },
      { key: 'consumerId', label: 'Consumer id', kind: 'text', isRequired: true },
      { key: 'serviceId', label: 'Service id', kind: 'text', hint: 'Only when the consumer has several connectors.' },
      { key: 'folderId', label: 'Folder id', kind: 'text' },
    ],
    auth: { token: [token('API key')], 'token-env': [tokenEnv] },
  },
  tus: {
    fields: [{ key: 'endpoint', label: 'Endpoint', kind: 'url', placeholder: 'https://tus.example.com/files/', isRequired: true }],
    auth: { none: [], token: [token('Bearer token')], 'token-env': [tokenEnv] },
  },
  s3: {
    fields: [
      endpoint('https://s3.amazonaws.com', 'Leave empty for AWS; set it for MinIO and other S3-compatible servers.'),
      { key: 'region', label: 'Region', kind: 'text', placeholder: 'us-east-1' },
      { key: 'bucket', label: 'Bucket', kind: 'text', isRequired: true },
      { key: 'prefix', label: 'Key prefix', kind: 'text', placeholder: 'uploads/' },
      { key: 'accessKeyId', label: 'Access key id', kind: 'text', isRequired: true },
      { key: 'forcePathStyle', label: 'Path-style URLs (MinIO and most S3-compatible servers)', kind: 'checkbox' },
      { key: 'partSizeBytes', label: 'Part size (bytes)', kind: 'number', placeholder: '16777216' },
    ],
    auth: { token: [token('Secret access key')], 'token-env': [tokenEnv] },
  },
};

export const AUTH_LABELS: Record<AuthMode, string> = {
  'sign-in': 'Sign in with the provider',
  token: 'Token',
  'token-env': 'Token from an environment variable',
  none: 'No authentication',
};

/** Form values as typed, to the input of `addDestination` (empty fields left out, numbers parsed). */
export function destinationInput(name: string, provider: ProviderKind, mode: AuthMode, values: Readonly<Record<string, string | boolean>>): DestinationInput {
  const input: DestinationInput = { name: name.trim(), provider };
  const specs = [...PROVIDER_FORMS[provider].fields, ...(PROVIDER_FORMS[provider].auth[mode] ?? [])];
  const target = input as unknown as Record<string, unknown>;
  for (const spec of specs) {
    const value = values[spec.key];
    if (spec.kind === 'checkbox') {
      if (value === true) target[spec.key] = true;
      continue;
    }
    const text = typeof value === 'string' ? value.trim() : '';
    if (text === '') continue;
    target[spec.key] = spec.kind === 'number' ? Number(text.replace(/[_,\s]/g, '')) : text;
  }
  return input;
}
