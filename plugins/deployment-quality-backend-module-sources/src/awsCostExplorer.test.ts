import { validateWebhookEvent } from '@deployment-quality/plugin-deployment-quality-common';
import { awsCostExplorerSourceAdapter, millionthsOf } from './awsCostExplorer';
import {
  RECEIVED_AT,
  eventsOf,
  fixture,
  mapWith,
} from './__testUtils__/fixtures';

const DAILY = 'aws-cost-explorer.daily-by-service-tag-and-region.json';
const map = (body: unknown, config: object = {}) =>
  mapWith(awsCostExplorerSourceAdapter, body, { config: config as any });

const cost = (
  serviceId: string,
  clusterId: string,
  date: string,
  amount: number,
  millionths: string,
  estimated: boolean,
) => ({
  source: 'aws-cost-explorer',
  eventType: 'cost',
  eventId: `aws-cost:${serviceId}:${clusterId}:${date}:USD:${millionths}`,
  payload: { serviceId, clusterId, date, amount, currency: 'USD', estimated },
});

/** A report grouped by the service tag only, with one group per day per value. */
const byServiceOnly = (
  groups: Array<[string, string]>,
  start = '2026-02-21',
) => ({
  GroupDefinitions: [{ Type: 'TAG', Key: 'service' }],
  ResultsByTime: [
    {
      TimePeriod: { Start: start, End: '2026-02-22' },
      Total: {},
      Groups: groups.map(([tag, amount]) => ({
        Keys: [`service$${tag}`],
        Metrics: { UnblendedCost: { Amount: amount, Unit: 'USD' } },
      })),
      Estimated: false,
    },
  ],
  DimensionValueAttributes: [],
});

/** Every event must pass the contract the plugin validates them with. */
function expectValid(mapping: ReturnType<typeof map>) {
  for (const event of eventsOf(mapping)) {
    expect(
      validateWebhookEvent(event, { notAfter: RECEIVED_AT.getTime() }),
    ).toMatchObject({ ok: true });
  }
}

describe('awsCostExplorerSourceAdapter', () => {
  it('maps each day × tag value × region to a cost event, skipping untagged costs', () => {
    const mapping = map(fixture(DAILY));
    expect(mapping).toEqual({
      kind: 'events',
      events: [
        cost('checkout', 'eu-west-1', '2026-02-21', 4.18772, '4187720', false),
        cost(
          'checkout',
          'us-east-1',
          '2026-02-21',
          12.345679,
          '12345679',
          false,
        ),
        // 1.2 millionths round to one.
        cost('payments', 'us-east-1', '2026-02-21', 0.000001, '1', false),
        // 3902011.5 millionths round half away from zero.
        cost('checkout', 'eu-west-1', '2026-02-22', 3.902012, '3902012', true),
        cost('checkout', 'us-east-1', '2026-02-22', 11.8, '11800000', true),
        cost('payments', 'us-east-1', '2026-02-22', 1.234568, '1234568', true),
        cost(
          'payments-worker',
          'us-east-1',
          '2026-02-22',
          0.25,
          '250000',
          true,
        ),
      ],
    });
    expectValid(mapping);
  });

  it('maps tag values and regions through the configured lists, adding up what they join', () => {
    const mapping = map(fixture(DAILY), {
      services: [
        { tag: 'checkout', serviceId: 'checkout' },
        { tag: 'payments', serviceId: 'payments' },
        { tag: 'payments-worker', serviceId: 'payments' },
      ],
      clusters: [{ name: 'us-east-1', clusterId: 'aquila-us-east-1' }],
      // Ignored: the report's region grouping names the cluster.
      clusterId: 'mira-us-west-2',
    });
    expect(mapping).toEqual({
      kind: 'events',
      events: [
        cost(
          'checkout',
          'aquila-us-east-1',
          '2026-02-21',
          12.345679,
          '12345679',
          false,
        ),
        cost(
          'payments',
          'aquila-us-east-1',
          '2026-02-21',
          0.000001,
          '1',
          false,
        ),
        cost(
          'checkout',
          'aquila-us-east-1',
          '2026-02-22',
          11.8,
          '11800000',
          true,
        ),
        // payments 1.2345675 + payments-worker 0.25
        cost(
          'payments',
          'aquila-us-east-1',
          '2026-02-22',
          1.484568,
          '1484568',
          true,
        ),
      ],
    });
    expectValid(mapping);

    // Only listed tag values count.
    expect(
      eventsOf(
        map(fixture(DAILY), {
          services: [{ tag: 'payments-worker', serviceId: 'payments' }],
        }),
      ).map(e => e.eventId),
    ).toEqual(['aws-cost:payments:us-east-1:2026-02-22:USD:250000']);
  });

  it('takes the configured clusterId when the report groups by the service tag only, adding up its regions', () => {
    const body = fixture(DAILY);
    body.GroupDefinitions.pop();
    for (const day of body.ResultsByTime) {
      for (const group of day.Groups) group.Keys.pop();
    }
    const mapping = map(body, { clusterId: 'mira-us-west-2' });
    expect(eventsOf(mapping).map(e => [e.eventId, e.payload])).toEqual([
      [
        'aws-cost:checkout:mira-us-west-2:2026-02-21:USD:16533399',
        {
          serviceId: 'checkout',
          clusterId: 'mira-us-west-2',
          date: '2026-02-21',
          amount: 16.533399,
          currency: 'USD',
          estimated: false,
        },
      ],
      [
        'aws-cost:payments:mira-us-west-2:2026-02-21:USD:1',
        expect.objectContaining({ amount: 0.000001 }),
      ],
      [
        'aws-cost:checkout:mira-us-west-2:2026-02-22:USD:15702012',
        expect.objectContaining({ amount: 15.702012, estimated: true }),
      ],
      [
        'aws-cost:payments:mira-us-west-2:2026-02-22:USD:1234568',
        expect.objectContaining({ amount: 1.234568 }),
      ],
      [
        'aws-cost:payments-worker:mira-us-west-2:2026-02-22:USD:250000',
        expect.objectContaining({ amount: 0.25 }),
      ],
    ]);
    expectValid(mapping);
  });

  it('adds up amounts exactly, and puts the figure in the id so a restated day is a new event', () => {
    const config = {
      clusterId: 'mira-us-west-2',
      services: [
        { tag: 'a', serviceId: 'checkout' },
        { tag: 'b', serviceId: 'checkout' },
      ],
    };
    const [summed] = eventsOf(
      map(
        byServiceOnly([
          ['a', '0.1'],
          ['b', '0.2'],
        ]),
        config,
      ),
    );
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(summed.payload).toMatchObject({ amount: 0.3 });
    expect(summed.eventId).toBe(
      'aws-cost:checkout:mira-us-west-2:2026-02-21:USD:300000',
    );
    const [restated] = eventsOf(
      map(
        byServiceOnly([
          ['a', '0.1'],
          ['b', '0.25'],
        ]),
        config,
      ),
    );
    expect(restated.eventId).toBe(
      'aws-cost:checkout:mira-us-west-2:2026-02-21:USD:350000',
    );

    // A credit (negative) and AWS's exponent notation.
    const [credit] = eventsOf(
      map(
        byServiceOnly([
          ['a', '-1.5'],
          ['b', '2.5E-7'],
        ]),
        config,
      ),
    );
    expect(credit.payload).toMatchObject({ amount: -1.5 });
  });

  it('rounds amounts to millionths on their digits', () => {
    expect(millionthsOf('12.3456789012')).toBe(12345679n);
    expect(millionthsOf('0.0000012')).toBe(1n);
    expect(millionthsOf('0.0000005')).toBe(1n);
    expect(millionthsOf('-0.0000005')).toBe(-1n);
    expect(millionthsOf('0.00000049999')).toBe(0n);
    expect(millionthsOf('1.2E-7')).toBe(0n);
    expect(millionthsOf('5E-7')).toBe(1n);
    expect(millionthsOf('1e3')).toBe(1_000_000_000n);
    expect(millionthsOf('0e999999999')).toBe(0n);
    expect(millionthsOf(0.1)).toBe(100_000n);
    for (const bad of [
      '',
      '.',
      'abc',
      '1,5',
      '1e999',
      'NaN',
      'Infinity',
      null,
    ]) {
      expect(millionthsOf(bad)).toBeUndefined();
    }
  });

  it('refuses a report not grouped by the service tag', () => {
    const body = fixture(DAILY);
    expect(map(body, { serviceTag: 'app' })).toEqual({
      kind: 'invalid',
      problems: [
        {
          path: 'GroupDefinitions',
          message:
            'must group by the cost-allocation tag app (--group-by Type=TAG,Key=app)',
        },
      ],
    });
    body.GroupDefinitions = [{ Type: 'DIMENSION', Key: 'SERVICE' }];
    expect(map(body)).toMatchObject({
      kind: 'invalid',
      problems: [{ path: 'GroupDefinitions' }],
    });
  });

  it('refuses periods longer than a day', () => {
    const body = byServiceOnly([['checkout', '310.25']]);
    body.ResultsByTime[0].TimePeriod = {
      Start: '2026-01-01',
      End: '2026-02-01',
    };
    expect(map(body, { clusterId: 'mira-us-west-2' })).toEqual({
      kind: 'invalid',
      problems: [
        {
          path: 'ResultsByTime.0.TimePeriod',
          message:
            'must be one day, not 2026-01-01 to 2026-02-01: use --granularity DAILY',
        },
      ],
    });
    body.ResultsByTime[0].TimePeriod = {
      Start: '2026-02-21T00:00:00Z',
      End: '2026-02-21T01:00:00Z',
    };
    expect(map(body, { clusterId: 'mira-us-west-2' })).toMatchObject({
      kind: 'invalid',
      problems: [{ path: 'ResultsByTime.0.TimePeriod' }],
    });
  });

  it('lists the problems of malformed groups with their paths', () => {
    const body = fixture(DAILY);
    body.ResultsByTime[0].Groups[1].Metrics.UnblendedCost.Amount = '12,34';
    body.ResultsByTime[1].Groups[2].Metrics = {
      BlendedCost: { Amount: '1', Unit: 'USD' },
    };
    body.ResultsByTime[1].Groups[3].Keys = ['service$checkout'];
    expect(map(body)).toEqual({
      kind: 'invalid',
      problems: [
        {
          path: 'ResultsByTime.0.Groups.1.Metrics.UnblendedCost.Amount',
          message: 'must be a decimal number',
        },
        {
          path: 'ResultsByTime.1.Groups.2.Metrics.UnblendedCost',
          message: 'is required',
        },
        {
          path: 'ResultsByTime.1.Groups.3.Keys',
          message: 'must hold one key (a string) per group definition (2)',
        },
      ],
    });
    expect(map(fixture(DAILY), { metric: 'UsageQuantity' })).toMatchObject({
      kind: 'invalid',
      problems: expect.arrayContaining([
        {
          path: 'ResultsByTime.0.Groups.0.Metrics.UsageQuantity',
          message: 'is required',
        },
      ]),
    });
    expect(map({ GroupDefinitions: [] })).toEqual({
      kind: 'invalid',
      problems: [{ path: 'ResultsByTime', message: 'is required' }],
    });
    expect(map([])).toMatchObject({
      kind: 'invalid',
      problems: [{ path: '(root)', message: 'must be a JSON object' }],
    });
  });

  it('takes another metric and its currency when configured', () => {
    const body = byServiceOnly([['checkout', '0']]);
    body.ResultsByTime[0].Groups[0].Metrics = {
      AmortizedCost: { Amount: '7.5', Unit: 'EUR' },
    } as any;
    const [event] = eventsOf(
      map(body, { metric: 'AmortizedCost', clusterId: 'mira-us-west-2' }),
    );
    expect(event).toMatchObject({
      eventId: 'aws-cost:checkout:mira-us-west-2:2026-02-21:EUR:7500000',
      payload: { amount: 7.5, currency: 'EUR' },
    });
  });

  it('ignores a report with no cluster to name, or in which nothing maps', () => {
    expect(map(byServiceOnly([['checkout', '1']]))).toEqual({
      kind: 'ignored',
      reason:
        'the report has no second grouping to take the cluster from, and no clusterId is configured',
    });
    expect(
      map(fixture(DAILY), {
        clusters: [{ name: 'ap-south-1', clusterId: 'x' }],
      }),
    ).toEqual({
      kind: 'ignored',
      reason: 'no group maps to a service and cluster',
    });
    expect(
      map(byServiceOnly([['', '1']]), { clusterId: 'mira-us-west-2' }),
    ).toEqual({
      kind: 'ignored',
      reason: 'no group maps to a service and cluster',
    });
  });

  it("doesn't find services named after Object's properties", () => {
    expect(
      map(byServiceOnly([['constructor', '1']]), {
        clusterId: 'mira-us-west-2',
        services: [{ tag: 'checkout', serviceId: 'checkout' }],
      }),
    ).toEqual({
      kind: 'ignored',
      reason: 'no group maps to a service and cluster',
    });
  });

  it('hashes an event id that would be longer than the contract allows', () => {
    const serviceId = 's'.repeat(128);
    const clusterId = 'c'.repeat(64);
    const mapping = map(byServiceOnly([[serviceId, '-999999999.999999']]), {
      clusterId,
    });
    const [event] = eventsOf(mapping);
    expect(event.eventId).toMatch(/^aws-cost:sha256:[0-9a-f]{64}$/);
    expectValid(mapping);
  });
});
