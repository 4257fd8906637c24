import { useApp, useAppState } from '../../app/app-context.js';
import { plural } from '../../format/bytes.js';
import { Dialog } from '../../ui/Dialog.js';

/** Asks before a cancel: it discards what the server holds, which cannot be undone. */
export function CancelDialog() {
  const { actions } = useApp();
  const request = useAppState((s) => s.confirmCancel);
  if (request === null) return null;
  const isOne = request.ids.length === 1;
  const confirm = () => {
    actions.closeCancel();
    void actions.cancel(request.ids);
  };
  return (
    <Dialog
      key={request.ids.join(',')}
      title={isOne ? `Cancel ${request.name}?` : `Cancel ${plural(request.ids.length, 'upload')}?`}
      onClose={actions.closeCancel}
      actions={
        <>
          <button type="button" className="button" onClick={actions.closeCancel} autoFocus>
            Keep uploading
          </button>
          <button type="button" className="button button-danger" onClick={confirm}>
            Cancel upload{isOne ? '' : 's'}
          </button>
        </>
      }
    >
      <p>
        What was sent of {isOne ? request.name : request.name.toLowerCase()} is discarded at the destination. The local{' '}
        {isOne ? 'file stays where it is' : 'files stay where they are'}.
      </p>
    </Dialog>
  );
}
