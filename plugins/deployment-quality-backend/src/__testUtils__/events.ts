import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';

let counter = 0;

/** A valid deployment envelope; override any payload field. */
export function deploymentEvent(
  payload: Partial<
    Extract<EventEnvelope, { eventType: 'deployment' }>['payload']
  > = {},
  eventId = `evt-${++counter}`,
): EventEnvelope {
  return {
    eventId,
    eventType: 'deployment',
    source: 'test',
    receivedAt: '2026-02-24T10:00:00.000Z',
    payload: {
      clusterId: 'mira-us-west-2',
      serviceId: 'authn',
      buildVersion: '3.4.2',
      gitSha: 'abc1234',
      status: 'SUCCESS',
      startedAt: '2026-02-24T09:00:00.000Z',
      endedAt: '2026-02-24T09:10:00.000Z',
      trigger: 'merge',
      runNumber: 1,
      ...payload,
    },
  };
}

/** A valid test-result envelope; override any payload field. */
export function testResultEvent(
  payload: Partial<
    Extract<EventEnvelope, { eventType: 'test-result' }>['payload']
  > = {},
  eventId = `evt-${++counter}`,
): EventEnvelope {
  return {
    eventId,
    eventType: 'test-result',
    source: 'test',
    receivedAt: '2026-02-24T10:00:00.000Z',
    payload: {
      attemptId: 'mira-us-west-2:authn:3.4.2:1',
      suiteType: 'FUNCTIONAL',
      total: 10,
      passed: 9,
      failed: 1,
      skipped: 0,
      durationSec: 42,
      executedAt: '2026-02-24T09:12:00.000Z',
      ...payload,
    },
  };
}

/** A valid webhook body for one deployment; override payload or header fields. */
export const webhookDeployment = (
  payload: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  source: 'github-actions',
  eventType: 'deployment',
  ...extra,
  payload: {
    clusterId: 'mira-us-west-2',
    serviceId: 'authn',
    buildVersion: '3.4.3',
    gitSha: 'abc1234',
    status: 'SUCCESS',
    startedAt: '2026-02-24T09:00:00Z',
    endedAt: '2026-02-24T09:10:00Z',
    trigger: 'merge',
    runNumber: 7,
    ...payload,
  },
});
