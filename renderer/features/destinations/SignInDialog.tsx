import { useState } from 'react';
import type { SignInView } from '../../../preload/contract/index.js';
import { useApp, useAppState } from '../../app/app-context.js';
import { formatClock } from '../../format/time.js';
import { copyText } from '../../ui/copy-text.js';
import { Dialog } from '../../ui/Dialog.js';
import { CopyIcon, ExternalIcon } from '../../ui/icons.js';
import { openExternal } from '../../ui/open-external.js';

function DeviceCode({ flow }: { flow: Extract<SignInView, { kind: 'device-code' }> }) {
  const [isCopied, setCopied] = useState(false);
  const copy = async () => setCopied(await copyText(flow.userCode));
  return (
    <div className="sign-in-steps">
      <p>
        On any device, open{' '}
        <a href={flow.verificationUrl} target="_blank" rel="noopener noreferrer">
          {flow.verificationUrl.replace(/^https?:\/\//, '')}
        </a>{' '}
        and enter this code:
      </p>
      <div className="device-code">
        <output className="device-code-value" aria-label="Sign-in code">
          {flow.userCode}
        </output>
        <button type="button" className="button" onClick={() => void copy()}>
          <CopyIcon />
          {isCopied ? 'Copied' : 'Copy code'}
        </button>
      </div>
    </div>
  );
}

/** Walks the user through a sign-in main started: the device code large, or the browser link; then its outcome. */
export function SignInDialog() {
  const { actions } = useApp();
  const flow = useAppState((s) => s.signInFlow);
  const status = useAppState((s) => (s.signInFlow === null ? undefined : s.signIns[s.signInFlow.destination]));
  const nowMs = useAppState((s) => s.nowMs);
  if (flow === null) return null;
  const url = flow.kind === 'device-code' ? flow.verificationUrl : flow.url;
  const state = status?.state ?? 'waiting';
  const isWaiting = state === 'waiting';
  return (
    <Dialog
      key={`${flow.destination}-${flow.expiresAtMs}`}
      title={`Sign in to ${flow.destination}`}
      className="sign-in-dialog"
      onClose={() => (isWaiting ? actions.cancelSignIn(flow.destination) : actions.closeSignIn())}
      actions={
        isWaiting ? (
          <>
            <button type="button" className="button" onClick={() => actions.cancelSignIn(flow.destination)}>
              Cancel sign-in
            </button>
            <button type="button" className="button button-primary" onClick={() => openExternal(url)} autoFocus={flow.kind === 'browser'}>
              <ExternalIcon />
              Open sign-in page
            </button>
          </>
        ) : (
          <button type="button" className="button button-primary" onClick={actions.closeSignIn} autoFocus>
            {state === 'signed-in' ? 'Done' : 'Close'}
          </button>
        )
      }
    >
      {isWaiting ? (
        <>
          {flow.kind === 'device-code' ? <DeviceCode flow={flow} /> : <p>Open the sign-in page in a browser on the machine running Hoist and allow access.</p>}
          <p className="sign-in-status" role="status">
            Waiting for you to finish signing in… The {flow.kind === 'device-code' ? 'code' : 'link'} expires {formatClock(flow.expiresAtMs, nowMs)}.
          </p>
        </>
      ) : (
        <p className={state === 'signed-in' ? 'sign-in-status tone-done' : 'sign-in-status tone-error'} role="status">
          {state === 'signed-in' ? `Signed in to ${flow.destination}.` : state === 'cancelled' ? 'Sign-in cancelled.' : `Sign-in failed: ${status?.message ?? ''}`}
        </p>
      )}
    </Dialog>
  );
}
