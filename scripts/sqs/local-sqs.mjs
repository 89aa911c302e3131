#!/usr/bin/env node
// A local SQS-compatible server (fauxqs) on 127.0.0.1 with the ingest queue
// and its dead-letter queue, set up as the contract documents: redrive to the
// DLQ after --max-receive receives. Prints one JSON line when ready:
//   {"endpoint","queueUrl","dlqUrl"}
// and runs until SIGTERM/SIGINT. Used by `./dev start` and by the tests.
//
//   node scripts/sqs/local-sqs.mjs [--port 9324] [--queue dq-ingest]
//        [--visibility 60] [--max-receive 3] [--data-dir .data/sqs]
import { startFauxqs } from 'fauxqs';
import { cliArgs } from '../lib/args.mjs';

const args = cliArgs();
const queue = args.queue ?? 'dq-ingest';
const dlq = `${queue}-dlq`;

const server = await startFauxqs({
  port: Number(args.port ?? 0),
  host: '127.0.0.1',
  logger: false,
  ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
});
const dlqQueue = server.createQueue(dlq, {
  attributes: { MessageRetentionPeriod: String(14 * 86400) },
});
server.createQueue(queue, {
  attributes: {
    VisibilityTimeout: String(args.visibility ?? 60),
    MessageRetentionPeriod: String(4 * 86400),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlqQueue.queueArn,
      maxReceiveCount: Number(args['max-receive'] ?? 3),
    }),
  },
});
// Queue URLs fauxqs returns name a host that doesn't resolve here; this one does.
const endpoint = `http://127.0.0.1:${server.port}`;
console.log(
  JSON.stringify({
    endpoint,
    queueUrl: `${endpoint}/000000000000/${queue}`,
    dlqUrl: `${endpoint}/000000000000/${dlq}`,
  }),
);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
