// The sandboxed window's preload (bundled to one CommonJS file: a sandboxed preload can require nothing but electron).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildBridge } from './build-bridge.js';

contextBridge.exposeInMainWorld('hoist', buildBridge(ipcRenderer, webUtils));
