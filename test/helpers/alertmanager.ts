/**
 * Alertmanager's webhook payload (version 4), as it posts one group: the envelope the
 * alerts tests share. Each alert gets the group's status, `startsAt` now and the zero
 * `endsAt` Alertmanager sends while firing, unless the alert sets its own.
 */
export function webhookPayload(
  status: 'firing' | 'resolved',
  alerts: Record<string, unknown>[],
  options: { groupKey?: string; commonLabels?: Record<string, string>; externalURL?: string } = {},
) {
  return {
    version: '4',
    groupKey: options.groupKey ?? '{}:{}',
    truncatedAlerts: 0,
    status,
    receiver: 'fleetmind',
    groupLabels: { ...(options.commonLabels ?? {}) },
    commonLabels: { ...(options.commonLabels ?? {}) },
    commonAnnotations: {},
    externalURL: options.externalURL ?? 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({ status, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', ...a })),
  };
}
