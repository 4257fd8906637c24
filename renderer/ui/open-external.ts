/** Opens a web address in a new tab or the browser, never giving it a handle on this window. */
export function openExternal(url: string): void {
  if (!/^https?:\/\//i.test(url)) return;
  window.open(url, '_blank', 'noopener,noreferrer');
}
