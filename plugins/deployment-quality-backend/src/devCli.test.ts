import { TestDatabases } from '@backstage/backend-test-utils';
import sourceAdapters from '@deployment-quality/plugin-deployment-quality-backend-module-sources';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { webhookDeployment } from './__testUtils__/events';
import { startPluginBackend } from './__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../../..');
const CLI = resolve(ROOT, 'scripts/dq/cli.mjs');
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** Runs `yarn dq …` as a developer does; never throws on a non-zero exit. */
async function dq(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLI, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
      },
    );
    return { code: 0, stdout };
  } catch (error: any) {
    return { code: error.code, stdout: error.stdout };
  }
}

describe('yarn dq, end to end against a running backend', () => {
  it('makes a key, whose snippet configures a backend that takes what push and the printed curls send', async () => {
    const made = await dq(['keygen', 'ci-main']);
    expect(made.code).toBe(0);
    const secret = made.stdout.match(
      /^export DQ_CI_MAIN_SECRET='([^']+)'$/m,
    )![1];
    expect(secret.length).toBeGreaterThanOrEqual(40);
    const snippet = made.stdout
      .split('\n# app-config.yaml')[1]
      .split('\n\n')[0]
      .split('\n')
      .slice(1)
      .join('\n');
    expect(parseYaml(snippet)).toEqual({
      deploymentQuality: {
        ingestion: {
          webhook: {
            keys: [{ name: 'ci-main', secret: '${DQ_CI_MAIN_SECRET}' }],
          },
        },
      },
    });
    // Two runs never print the same secret.
    expect((await dq(['keygen', 'ci-main'])).stdout).not.toContain(secret);

    const backend = await startPluginBackend(databases, 'SQLITE_3', {
      features: [sourceAdapters],
      config: {
        ingestion: { webhook: { keys: [{ name: 'ci-main', secret }] } },
        sources: { github: { secrets: [{ name: 'gh', secret }] } },
      },
    });
    const { knex } = backend;
    try {
      const { port } = backend.server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      const dir = mkdtempSync(join(tmpdir(), 'dq-cli-'));
      const file = (name: string, body: unknown) => {
        const path = join(dir, name);
        writeFileSync(
          path,
          typeof body === 'string' ? body : JSON.stringify(body),
        );
        return path;
      };
      const one = file('one.json', webhookDeployment({ runNumber: 1 }));
      const batch = file('batch.json', {
        events: [
          webhookDeployment({ runNumber: 2 }),
          webhookDeployment({ runNumber: 3, status: 'DONE' }),
        ],
      });
      const broken = file('broken.json', '{"eventType": ');

      const pushed = await dq([
        'push',
        '--url',
        url,
        '--key',
        secret,
        one,
        batch,
      ]);
      expect(pushed.code).toBe(0);
      const lines = pushed.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^one\.json: 202 \{.*"status":"stored"/);
      expect(lines[1]).toMatch(/^batch\.json: 202 \{"results":\[/);
      expect(lines[1]).toContain('"status":"rejected"');

      // A bad file and a wrong key: each answer printed, exit 1.
      const refused = await dq(['push', '--url', url, broken], {
        DQ_KEY: secret,
      });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/^broken\.json: 400 /);
      expect(
        (await dq(['push', '--url', url, '--key', 'wrong-key-0123456789', one]))
          .stdout,
      ).toMatch(/^one\.json: 401 /);

      // A native payload, signed as GitHub signs it.
      const fixtures = resolve(
        dirname(
          require.resolve(
            '@deployment-quality/plugin-deployment-quality-backend-module-sources/package.json',
          ),
        ),
        'src/__fixtures__/github',
      );
      const github = file(
        'deployment_status.json',
        readFileSync(
          join(fixtures, 'deployment_status.created.success.json'),
          'utf8',
        ),
      );
      const native = await dq([
        'push',
        '--url',
        url,
        '--key',
        secret,
        '--source',
        'github',
        github,
      ]);
      expect(native.code).toBe(0);
      expect(native.stdout).toMatch(/^deployment_status\.json: 202 /);

      // The curls keygen printed, run as printed.
      file('event.json', webhookDeployment({ runNumber: 4 }));
      const curls = made.stdout.split('\n# Send an event with it')[1];
      const { stdout: answers } = await promisify(execFile)(
        'bash',
        ['-c', `set -e\n${curls.split('\n').slice(1).join('\n')}`],
        {
          cwd: dir,
          env: {
            ...process.env,
            DQ_URL: `${url}/api/deployment-quality`,
            DQ_CI_MAIN_SECRET: secret,
          },
        },
      );
      expect(answers.match(/"status":"(stored|duplicate)"/g)).toHaveLength(2);

      const stored = await knex('dq_attempts').count({ n: '*' });
      // one, batch's valid one, the curl's, and GitHub's.
      expect(Number(stored[0].n)).toBe(4);
    } finally {
      await backend.stop();
    }
  });
});
