import {
  GetQueueAttributesCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface LocalSqs {
  endpoint: string;
  queueUrl: string;
  dlqUrl: string;
  client: SQSClient;
  /** Visible + in flight + delayed messages of a queue. */
  depth(queueUrl: string): Promise<number>;
  send(bodies: string[]): Promise<void>;
  stop(): Promise<void>;
}

const script = resolve(__dirname, '../../../../scripts/sqs/local-sqs.mjs');

// The SDK's default credential chain needs something to sign with; a local
// server accepts anything.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/**
 * A real SQS-compatible server (fauxqs) in a child process on a free port,
 * with the ingest queue and its DLQ (redrive after `maxReceive` receives).
 */
export async function startLocalSqs(
  options: { visibility?: number; maxReceive?: number } = {},
): Promise<LocalSqs> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--no-warnings',
      script,
      '--port',
      '0',
      '--visibility',
      String(options.visibility ?? 60),
      '--max-receive',
      String(options.maxReceive ?? 3),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((ok, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', ok);
    child.once('exit', code => fail(new Error(`local SQS exited: ${code}`)));
  });
  const { endpoint, queueUrl, dlqUrl } = JSON.parse(line);
  const client = new SQSClient({ region: 'us-east-1', endpoint });
  return {
    endpoint,
    queueUrl,
    dlqUrl,
    client,
    async depth(url: string) {
      const { Attributes = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      return Object.values(Attributes).reduce((n, v) => n + Number(v), 0);
    },
    async send(bodies: string[]) {
      for (let i = 0; i < bodies.length; i += 10) {
        await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: bodies
              .slice(i, i + 10)
              .map((MessageBody, n) => ({ Id: String(n), MessageBody })),
          }),
        );
      }
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise(ok => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Polls `check` until it returns true or the time is up. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 50));
  }
}
