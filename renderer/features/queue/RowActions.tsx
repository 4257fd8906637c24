import { useState } from 'react';
import type { JobView } from '../../../preload/contract/index.js';
import { useApp } from '../../app/app-context.js';
import { CheckIcon, CloseIcon, CopyIcon, ExternalIcon, FolderIcon, PauseIcon, PlayIcon, RetryIcon } from '../../ui/icons.js';
import { IconButton } from '../../ui/IconButton.js';
import { copyText } from '../../ui/copy-text.js';
import { openExternal } from '../../ui/open-external.js';

/** A web address for a finished job: the one the server gave, else ask main (it may explain why there is none). */
function useRemoteLink(job: JobView) {
  const { actions } = useApp();
  return async (): Promise<string | null> => {
    if (job.remoteWebUrl !== null) return job.remoteWebUrl;
    const link = await actions.run(`Could not get a link to ${job.name}`, () => actions.bridge.remoteLink(job.id));
    if (link !== undefined && link.url === null) actions.notify(link.reason ?? `${job.name} has no web address at its destination.`);
    return link?.url ?? null;
  };
}

function FinishedActions({ job }: { job: JobView }) {
  const { actions } = useApp();
  const linkOf = useRemoteLink(job);
  const [isCopied, setCopied] = useState(false);
  const open = async () => {
    const url = await linkOf();
    if (url !== null) openExternal(url);
  };
  const copy = async () => {
    const url = await linkOf();
    if (url === null) return;
    if (await copyText(url)) {
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } else actions.notify(`Could not copy the link to ${job.name}; it is ${url}`);
  };
  return (
    <>
      {job.state === 'done' ? <IconButton label={`Open ${job.name} at destination`} tip="Open" icon={<ExternalIcon />} onClick={() => void open()} /> : null}
      <IconButton label={`Show ${job.name} in folder`} tip="Show in folder" icon={<FolderIcon />} onClick={() => void actions.revealFile(job.id)} />
      {job.state === 'done' ? (
        <IconButton label={`Copy link to ${job.name}`} tip={isCopied ? 'Copied' : 'Copy link'} icon={isCopied ? <CheckIcon /> : <CopyIcon />} onClick={() => void copy()} />
      ) : null}
    </>
  );
}

/** The row's buttons; each accessible name starts with its verb and names the file ("Pause film.mov"). */
export function RowActions({ job }: { job: JobView }) {
  const { actions } = useApp();
  if (job.state === 'done' || job.state === 'cancelled') return <FinishedActions job={job} />;
  const cancel = <IconButton label={`Cancel ${job.name}`} tip="Cancel" icon={<CloseIcon />} onClick={() => actions.askCancel([job.id], job.name)} />;
  switch (job.state) {
    case 'paused':
      return (
        <>
          <IconButton label={`Resume ${job.name}`} tip="Resume" icon={<PlayIcon />} onClick={() => void actions.resume([job.id])} />
          {cancel}
        </>
      );
    case 'failed':
      return (
        <>
          <IconButton label={`Retry ${job.name}`} tip="Retry" icon={<RetryIcon />} onClick={() => void actions.retry([job.id])} />
          {cancel}
        </>
      );
    case 'queued':
    case 'running':
      return (
        <>
          <IconButton label={`Pause ${job.name}`} tip="Pause" icon={<PauseIcon />} onClick={() => void actions.pause([job.id])} />
          {cancel}
        </>
      );
  }
}
