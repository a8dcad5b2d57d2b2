import { BrowserWindow, Notification } from 'electron';
import { escapeControls } from '../../shared/text/escape-controls';
import type { AlertEvent, AlertService } from '../core/alerts';

/** At most this many desktop notifications a minute: an alert storm shows one summary instead of a wall of toasts. */
const MAX_PER_MINUTE = 5;

/**
 * Desktop notifications for new firing alerts (critical and warning; info stays in the list).
 * Clicking one brings the window to the alerts page. The alert's text is untrusted: it is
 * shown as the notification's plain text only, shortened. (Not covered by the automated
 * tests: they have no notification daemon; the alert events it listens to are.)
 */
export function notifyAlerts(alerts: AlertService): () => void {
  let windowStart = 0;
  let shown = 0;
  let suppressed = 0;
  // Bidi overrides and invisible characters (which webhook text may hold) shown as escapes, as on the alerts page.
  const cut = (t: string, n: number) => {
    const shown = escapeControls(t);
    return shown.length > n ? `${shown.slice(0, n - 1)}…` : shown;
  };
  return alerts.subscribe((event: AlertEvent) => {
    if (event.change !== 'created' || event.alert.state !== 'firing' || event.alert.severity === 'info') return;
    if (!Notification.isSupported()) return;
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      if (suppressed > 0) new Notification({ title: 'Fleetmind alerts', body: `${suppressed} more alert(s) fired; see the Alerts page` }).show();
      windowStart = now;
      shown = 0;
      suppressed = 0;
    }
    if (shown >= MAX_PER_MINUTE) {
      suppressed++;
      return;
    }
    shown++;
    const a = event.alert;
    const notification = new Notification({ title: cut(`${a.severity === 'critical' ? 'Critical' : 'Warning'}: ${a.name}${a.host ? ` on ${a.host}` : ''}`, 120), body: cut(a.summary, 240) });
    notification.on('click', () => {
      const window = BrowserWindow.getAllWindows().find((w) => !w.isDestroyed());
      if (!window) return;
      window.show();
      window.focus();
      void window.webContents.executeJavaScript("window.location.hash = '#/alerts'").catch(() => undefined);
    });
    notification.show();
  });
}
