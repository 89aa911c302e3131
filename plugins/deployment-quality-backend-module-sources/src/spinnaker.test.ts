import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { spinnakerSourceAdapter } from './spinnaker';
import { eventsOf, fixture, mapWith } from './__testUtils__/fixtures';

const COMPLETE = 'spinnaker/orca-pipeline.complete.built.json';
const config = {
  pipelines: [
    { pipeline: 'Deploy to production', clusterId: 'aquila-us-east-1' },
  ],
};
const map = (body: unknown, cfg: object = config) =>
  mapWith(spinnakerSourceAdapter, body, { config: cfg as any });

describe('spinnakerSourceAdapter', () => {
  it('maps a completed pipeline of a mapped application', () => {
    expect(map(fixture(COMPLETE))).toEqual({
      kind: 'events',
      service: { annotation: 'spinnaker.io/application-name', value: 'asgard' },
      events: [
        {
          source: 'spinnaker',
          eventType: 'deployment',
          eventId:
            'spinnaker:01JN2Q7Y8Z9A0B1C2D3E4F5G6H:orca:pipeline:complete',
          payload: {
            clusterId: 'aquila-us-east-1',
            serviceId: 'asgard',
            buildVersion: 'c6d86dc',
            gitSha: 'c6d86dc654b12425e706bcf951adfe5a8627a517',
            status: 'SUCCESS',
            startedAt: '2025-02-24T09:40:00.000Z',
            endedAt: '2025-02-24T09:50:00.000Z',
            trigger: 'merge',
          },
        },
      ],
    });
  });

  it('maps starting and failed pipelines, with the commit of a Jenkins trigger', () => {
    const body = fixture(COMPLETE);
    body.details.type = 'orca:pipeline:starting';
    delete body.content.execution.endTime;
    delete body.content.execution.trigger.hash;
    body.content.execution.trigger.type = 'jenkins';
    body.content.execution.trigger.buildInfo = {
      number: 7,
      scm: [{ sha1: 'abcdef1234567', branch: 'master' }],
    };
    const [starting] = eventsOf(map(body));
    expect(starting.payload).toMatchObject({
      status: 'IN_PROGRESS',
      gitSha: 'abcdef1234567',
      startedAt: '2025-02-24T09:40:00.000Z',
    });
    expect(starting.payload).not.toHaveProperty('endedAt');

    const failed = fixture(COMPLETE);
    failed.details.type = 'orca:pipeline:failed';
    failed.content.execution.status = 'TERMINAL';
    failed.content.execution.trigger = {
      type: 'manual',
      hash: 'c6d86dc654b12425e706bcf951adfe5a8627a517',
      parameters: { version: '1.4.0' },
    };
    expect(eventsOf(map(failed))[0].payload).toMatchObject({
      status: 'FAILED',
      failureReason: 'Spinnaker pipeline TERMINAL',
      trigger: 'manual',
      buildVersion: '1.4.0',
    });
  });

  it("ignores the docs' task event, unmapped pipelines and triggers without a commit", () => {
    // The published example elides `"execution": ...`; without that line it parses.
    const text = readFileSync(
      resolve(
        __dirname,
        '__fixtures__/spinnaker/echo-event.task-complete.spinnaker-docs.jsonc',
      ),
      'utf8',
    )
      .split('\n')
      .filter(line => !line.includes('"execution": ...'))
      .join('\n');
    expect(map(JSON.parse(text))).toEqual({
      kind: 'ignored',
      reason: 'event orca:task:complete is not a pipeline outcome',
    });
    expect(map(fixture(COMPLETE), {})).toEqual({
      kind: 'ignored',
      reason: 'pipeline Deploy to production is not configured',
    });
    const manual = fixture(COMPLETE);
    manual.content.execution.trigger = { type: 'manual' };
    expect(map(manual)).toEqual({
      kind: 'ignored',
      reason: 'the trigger carries no git commit',
    });
  });

  it("ignores event types, and doesn't take trigger types, named after Object's properties", () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const event = fixture(COMPLETE);
      event.details.type = name;
      expect(map(event)).toEqual({
        kind: 'ignored',
        reason: `event ${name} is not a pipeline outcome`,
      });
      const triggered = fixture(COMPLETE);
      triggered.content.execution.trigger.type = name;
      expect(eventsOf(map(triggered))[0].payload).toMatchObject({
        trigger: 'merge',
      });
    }
  });

  it('lists the problems of a malformed event', () => {
    expect(
      map({ details: { type: 'orca:pipeline:complete' }, content: {} }),
    ).toEqual({
      kind: 'invalid',
      problems: [{ path: 'details.application', message: 'is required' }],
    });
    const body = fixture(COMPLETE);
    body.details.created = 'soon';
    body.content.execution.startTime = 'later';
    expect(map(body)).toEqual({
      kind: 'invalid',
      problems: [
        { path: 'details.created', message: 'must be a timestamp' },
        { path: 'content.execution.startTime', message: 'must be a timestamp' },
      ],
    });
  });
});
