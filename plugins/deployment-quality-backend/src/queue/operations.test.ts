import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { webhookDeployment } from '../__testUtils__/events';
import { LocalSqs, eventually, startLocalSqs } from '../__testUtils__/localSqs';
import {
  BASE,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';

jest.setTimeout(90_000);

const ROOT = resolve(__dirname, '../../../..');
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** One SQS API call as the server saw it: the action and the queue it named. */
type Call = { action: string; queue: string };

/**
 * A pass-through proxy in front of the local SQS server that records every
 * call: what the plugin actually asks of SQS, whatever code path asked.
 */
async function recordingProxy(target: string) {
  const calls: Call[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = String(req.headers['x-amz-target'] ?? '').replace(
        'AmazonSQS.',
        '',
      );
      try {
        const json = JSON.parse(body.toString() || '{}');
        const queue = String(json.QueueUrl ?? json.QueueName ?? '')
          .split('/')
          .pop()!;
        if (action) calls.push({ action, queue });
      } catch {
        // Not JSON: the query protocol would name it Action=…; not used.
      }
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise(ok => server.close(ok)),
  };
}

/** The IAM action a call needs: batch calls are authorised as their single form. */
const iamAction = (action: string) => `sqs:${action.replace(/Batch$/, '')}`;

describe('operating the queue: DLQ redrive and the IAM policy', () => {
  let sqs: LocalSqs;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let backend: Awaited<ReturnType<typeof startPluginBackend>>;

  beforeAll(async () => {
    sqs = await startLocalSqs({ visibility: 5, maxReceive: 1 });
    proxy = await recordingProxy(sqs.endpoint);
    backend = await startPluginBackend(databases, 'SQLITE_3', {
      sqs: {
        queueUrl: `${proxy.endpoint}/000000000000/dq-ingest`,
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        waitTimeSeconds: 1,
      },
    });
  });
  afterAll(async () => {
    await backend?.stop();
    await proxy?.stop();
    await sqs?.stop();
  });

  const stored = async (eventId: string) =>
    Boolean(
      await backend
        .knex('dq_ingested_events')
        .where('event_id', eventId)
        .first(),
    );

  it('moves dead-lettered messages back to the queue, where they are stored, through the route and the script', async () => {
    // Through the webhook (published to the queue, then consumed).
    await request(backend.server)
      .post(`${BASE}/ingest/webhook`)
      .set('X-Webhook-Secret', SECRET)
      .send(webhookDeployment({ serviceId: 'authn', runNumber: 1 }))
      .expect(202);

    // Messages that died earlier (say, the database was down for longer
    // than their retries), straight into the DLQ.
    const dead = (n: number) =>
      JSON.stringify({
        eventId: `dead-${n}`,
        eventType: 'deployment',
        source: 'ci',
        payload: webhookDeployment({ serviceId: `svc-${n}`, runNumber: n })
          .payload,
      });
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.dlqUrl,
        Entries: [1, 2, 3].map(n => ({ Id: String(n), MessageBody: dead(n) })),
      }),
    );
    const res = await request(backend.server)
      .post(`${BASE}/admin/dead-letters/redrive`)
      .set('Authorization', mockCredentials.user.header())
      .send({ max: 2 })
      .expect(200);
    expect(res.body).toEqual({ moved: 2, failed: 0 });
    expect(await sqs.depth(sqs.dlqUrl)).toBe(1);

    // The script, as an operator runs it, moves the rest.
    const { port } = backend.server.address() as AddressInfo;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        resolve(ROOT, 'scripts/sqs/redrive.mjs'),
        '--url',
        `http://127.0.0.1:${port}`,
        '--token',
        mockCredentials.user.token(),
      ],
      { cwd: ROOT },
    );
    expect(stdout.trim()).toBe('200 {"moved":1,"failed":0}');
    expect(await sqs.depth(sqs.dlqUrl)).toBe(0);
    await eventually(async () =>
      (
        await Promise.all(['dead-1', 'dead-2', 'dead-3'].map(stored))
      ).every(Boolean),
    );
  });

  it('refuses a caller without deployment-quality.admin', async () => {
    const denied = await startPluginBackend(databases, 'SQLITE_3', {
      deny: true,
    });
    try {
      const res = await request(denied.server)
        .post(`${BASE}/admin/dead-letters/redrive`)
        .set('Authorization', mockCredentials.user.header())
        .expect(403);
      expect(res.body.error.message).toBe(
        'Missing permission deployment-quality.admin',
      );
    } finally {
      await denied.stop();
    }
  });

  it('grants in deploy/aws/iam-policy.json every SQS action the plugin called, on the queue it called it on', async () => {
    const policy = JSON.parse(
      readFileSync(resolve(ROOT, 'deploy/aws/iam-policy.json'), 'utf8'),
    );
    const allowed = (call: Call) =>
      policy.Statement.some(
        (s: { Effect: string; Action: string[]; Resource: string }) =>
          s.Effect === 'Allow' &&
          s.Action.includes(iamAction(call.action)) &&
          s.Resource.endsWith(`:${call.queue}`),
      );
    const made = [
      ...new Map(
        proxy.calls.map(c => [`${c.action} ${c.queue}`, c] as const),
      ).values(),
    ];
    // Publishing, consuming, the depth monitor and the redrive all ran.
    expect(made.map(c => c.action)).toEqual(
      expect.arrayContaining([
        'SendMessageBatch',
        'ReceiveMessage',
        'DeleteMessageBatch',
        'GetQueueAttributes',
        'GetQueueUrl',
      ]),
    );
    expect(made.filter(c => !allowed(c))).toEqual([]);
  });
});
