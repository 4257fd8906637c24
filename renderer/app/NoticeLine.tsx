import { CloseIcon } from '../ui/icons.js';
import { useApp, useAppState } from './app-context.js';

/** The last command that failed, in words, until dismissed. */
export function NoticeLine() {
  const { actions } = useApp();
  const notice = useAppState((s) => s.notice);
  if (notice === null) return null;
  return (
    <div className="notice-line" role="alert" key={notice.seq}>
      <span className="notice-text">{notice.text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss message" onClick={actions.dismissNotice}>
        <CloseIcon />
      </button>
    </div>
  );
}
