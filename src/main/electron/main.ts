import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, session } from 'electron';
import { Core } from '../core/compose';
import { registerIpcHandlers } from './ipc-handlers';
import { notifyAlerts } from './alert-notifications';
import { denyAllPermissions, enforceContentSecurityPolicy, lockDownWebContents, RendererOrigin } from './security';
import { createMainWindow } from './window';

/**
 * The desktop face's composition root: one Core in this process, one sandboxed window,
 * IPC handlers bound to the core. The core never imports Electron; this file is the
 * only place the two meet.
 */
const here = dirname(fileURLToPath(import.meta.url));
const preloadFile = join(here, '..', 'preload', 'index.cjs');
const rendererIndexFile = join(here, '..', 'renderer', 'index.html');
// electron-vite dev serves the renderer with hot reload; a packaged app never does.
const devServerUrl = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null;

function startupFailureMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message)) {
    return `${message}\n\nNative modules (better-sqlite3) are built for Node, not Electron. Rebuild them for Electron (npx electron-rebuild) or run the headless server: npm start -- --headless`;
  }
  return message;
}

function main(): void {
  // A second launch focuses the running window instead of opening another core on the same store.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();

  let core: Core | null = null;
  let mainWindow: BrowserWindow | null = null;
  const origin = new RendererOrigin(rendererIndexFile, devServerUrl);
  lockDownWebContents(app, (message) => core?.logger.warn(message));

  const openWindow = () => {
    mainWindow = createMainWindow({ preloadFile, rendererIndexFile, devServerUrl });
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
  };

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app
    .whenReady()
    .then(() => {
      try {
        core = new Core();
      } catch (err) {
        dialog.showErrorBox('Fleetmind could not start', startupFailureMessage(err));
        app.exit(1);
        return;
      }
      enforceContentSecurityPolicy(session.defaultSession, devServerUrl);
      denyAllPermissions(session.defaultSession);
      registerIpcHandlers(core, origin, core.logger);
      // The desktop app collects metrics as the headless server does.
      core.startMetrics();
      // New firing alerts become desktop notifications.
      notifyAlerts(core.alerts);
      // MCP servers of config.yaml connect in the background, as with the headless server.
      void core.startMcp();
      // Turns nobody asked for in this window (the agent continuing after an approval) reach it here.
      core.subscribe('*', (event) => {
        for (const window of BrowserWindow.getAllWindows()) {
          if (!window.isDestroyed()) window.webContents.send('fleetmind:conversation.event', event);
        }
      });
      openWindow();
      // macOS keeps apps alive without windows; clicking the dock icon brings one back.
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) openWindow();
      });
    })
    .catch((err: unknown) => {
      dialog.showErrorBox('Fleetmind could not start', startupFailureMessage(err));
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Close the store (WAL checkpoint) and SSH pool before exiting; quit again once done.
  app.on('will-quit', (event) => {
    const closing = core;
    if (!closing) return;
    core = null;
    event.preventDefault();
    closing
      .close()
      .catch((err: unknown) => closing.logger.error({ err }, 'error while closing the core'))
      .finally(() => app.quit());
  });
}

main();
