import { DeploymentQualityClient } from './DeploymentQualityApi';

function client(respond: (url: string) => Response) {
  const calls: string[] = [];
  const api = new DeploymentQualityClient({
    discoveryApi: {
      getBaseUrl: async (id: string) => `http://backend/api/${id}`,
    },
    fetchApi: {
      fetch: async (input: RequestInfo | URL) => {
        const url = input instanceof Request ? input.url : String(input);
        calls.push(url);
        return respond(url);
      },
    },
  });
  return { api, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

describe('DeploymentQualityClient', () => {
  it('builds entity and query URLs, leaving out empty parameters', async () => {
    const { api, calls } = client(() => json({}));
    const entity = { kind: 'Component', namespace: 'default', name: 'a b' };
    await api.getEntityAnalytics(entity, {
      from: '2026-02-01',
      bucket: 'week',
    });
    await api.getEntityAttempts(entity, {
      status: 'FAILED',
      cursor: undefined,
    });
    await api.getBuild('mira-us-west-2:authn:3.4.2:7');
    await api.getGateCheck({
      serviceId: 'authn',
      clusterId: 'mira-us-west-2',
      buildVersion: '3.4.2',
    });
    expect(calls).toEqual([
      'http://backend/api/deployment-quality/entities/default/component/a%20b/analytics?from=2026-02-01&bucket=week',
      'http://backend/api/deployment-quality/entities/default/component/a%20b/attempts?status=FAILED',
      'http://backend/api/deployment-quality/builds/mira-us-west-2%3Aauthn%3A3.4.2%3A7',
      'http://backend/api/deployment-quality/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.2',
    ]);
  });

  it('sends a body through fetch middleware that rebuilds the request at each step', async () => {
    const sent: Array<{ method: string; url: string; body: string }> = [];
    const api = new DeploymentQualityClient({
      discoveryApi: {
        getBaseUrl: async (id: string) => `http://backend/api/${id}`,
      },
      fetchApi: {
        // As Backstage's middleware chain does: each step builds a Request.
        fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
          const first = new Request(input, init);
          const second = new Request(input, init);
          sent.push({
            method: second.method,
            url: second.url,
            body: await first.text(),
          });
          return json({ caseId: '7' });
        },
      },
    });
    await api.quarantineTest(
      { kind: 'Component', namespace: 'default', name: 'authn' },
      '7',
      'flaky since Monday',
    );
    expect(sent).toEqual([
      {
        method: 'PUT',
        url: 'http://backend/api/deployment-quality/entities/default/component/authn/tests/quarantine/7',
        body: JSON.stringify({ reason: 'flaky since Monday' }),
      },
    ]);
  });

  it('asks for a fresh fleet-wide answer with Cache-Control: no-cache, only when told to', async () => {
    const sent: Array<[string, string | null]> = [];
    const api = new DeploymentQualityClient({
      discoveryApi: {
        getBaseUrl: async (id: string) => `http://backend/api/${id}`,
      },
      fetchApi: {
        fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
          const request = new Request(input, init);
          sent.push([request.url, request.headers.get('cache-control')]);
          return json({});
        },
      },
    });
    await api.getClusters({ fresh: true });
    await api.getClusters();
    await api.getClusterSummary('c1', { limit: 25 }, { fresh: true });
    await api.getClusterAttempts('c1', { limit: 20 }, { fresh: true });
    await api.getAttempts({ status: 'FAILED' }, { fresh: true });
    await api.getServices({ limit: 20 }, { fresh: false });
    const base = 'http://backend/api/deployment-quality';
    expect(sent).toEqual([
      [`${base}/clusters`, 'no-cache'],
      [`${base}/clusters`, null],
      [`${base}/clusters/c1/summary?limit=25`, 'no-cache'],
      [`${base}/clusters/c1/attempts?limit=20`, 'no-cache'],
      [`${base}/attempts?status=FAILED`, 'no-cache'],
      [`${base}/services?limit=20`, null],
    ]);
  });

  it('turns an error answer into a ResponseError carrying Backstage’s error', async () => {
    const { api } = client(() =>
      json(
        {
          error: { name: 'NotFoundError', message: 'No cluster nowhere' },
          request: { method: 'GET', url: '/clusters/nowhere/summary' },
          response: { statusCode: 404 },
        },
        404,
      ),
    );
    await expect(api.getClusterSummary('nowhere')).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 404,
      body: { error: { name: 'NotFoundError' } },
    });
  });

  it('downloads the scorecard CSV with the name the backend gives it', async () => {
    const { api, calls } = client(
      () =>
        new Response('service_id\r\nauthn\r\n', {
          headers: {
            'Content-Type': 'text/csv',
            'Content-Disposition':
              'attachment; filename="scorecard-2026-02-28.csv"',
          },
        }),
    );
    const { filename, csv } = await api.getScorecardCsv({
      from: '2026-02-01',
      to: '2026-02-28',
    });
    expect(filename).toBe('scorecard-2026-02-28.csv');
    expect(await csv.text()).toBe('service_id\r\nauthn\r\n');
    expect(calls).toEqual([
      'http://backend/api/deployment-quality/scorecard/csv?from=2026-02-01&to=2026-02-28',
    ]);
  });
});
