import { useEffect, useSyncExternalStore } from 'react';
import type { ThemeView } from '../../preload/contract/index.js';
import { faviconUrl } from './favicon.js';
import { applyTheme, isSystemDark, subscribeDark } from './theme.js';
import { useAppState } from './app-context.js';

function useSystemDark(): boolean {
  return useSyncExternalStore(subscribeDark, isSystemDark);
}

/** The light or dark theme in force: the setting, or the OS when it says "system". */
export function useResolvedTheme(): 'light' | 'dark' {
  const setting: ThemeView = useAppState((s) => s.settings.theme);
  const isDark = useSystemDark();
  return setting === 'system' ? (isDark ? 'dark' : 'light') : setting;
}

/** The page around the app: theme, title and favicon follow the app state. */
export function useAppChrome(): void {
  const theme = useResolvedTheme();
  const summary = useAppState((s) => (s.isLoaded ? s.appState.summary : 'Hoist'));
  const kind = useAppState((s) => s.appState.kind);
  const isLoaded = useAppState((s) => s.isLoaded);

  useEffect(() => applyTheme(theme), [theme]);

  useEffect(() => {
    document.title = summary;
  }, [summary]);

  useEffect(() => {
    if (!isLoaded) return;
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (link === null) {
      link = document.createElement('link');
      link.rel = 'icon';
      document.head.append(link);
    }
    link.type = 'image/svg+xml';
    link.href = faviconUrl(kind);
  }, [kind, isLoaded]);
}
