import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * main.tsx imports the app (React and the components) only once the snapshot request is sent; a preload link lets the
 * browser fetch it meanwhile. Not modulepreload: that compiles it too, on the main thread, and the socket's open event
 * waited behind it.
 */
function preloadDynamicEntries(): Plugin {
  return {
    name: 'hoist-preload-dynamic-entries',
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        // Only what the entry itself imports: chunks loaded later (the tus client) stay out of the page load.
        const entries = Object.values(ctx.bundle ?? {}).flatMap((chunk) => (chunk.type === 'chunk' && chunk.isEntry ? chunk.dynamicImports : []));
        return entries.map((fileName) => ({ tag: 'link', attrs: { rel: 'preload', as: 'script', crossorigin: true, href: `./${fileName}` }, injectTo: 'head' as const }));
      },
    },
  };
}

// The page is served under a strict CSP (script-src 'self'; style-src 'self'): everything must end up in files, and
// `base: './'` lets the same build load from `hoist serve` and from the Electron app's file:// URL.
export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [preloadDynamicEntries()],
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2023',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    // One stylesheet in the page's head, as before the app moved into its own chunk: no style arrives after a render.
    cssCodeSplit: false,
    reportCompressedSize: false,
  },
});
