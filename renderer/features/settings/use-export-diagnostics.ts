import { useCallback } from 'react';
import { useApp } from '../../app/app-context.js';

/** Saves main's diagnostics text as a file the user can attach to a bug report (a Blob URL download). */
export function useExportDiagnostics(): () => Promise<boolean> {
  const { actions } = useApp();
  return useCallback(async () => {
    const diagnostics = await actions.run('Could not export diagnostics', () => actions.bridge.exportDiagnostics());
    if (diagnostics === undefined) return false;
    const url = URL.createObjectURL(new Blob([diagnostics.text], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = diagnostics.fileName;
    document.body.append(link);
    link.click();
    link.remove();
    // The download has its own copy once started; revoke on the next turn.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    return true;
  }, [actions]);
}
