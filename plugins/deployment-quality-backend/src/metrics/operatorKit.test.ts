import { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deploymentEvent } from '../__testUtils__/events';
import { DeploymentQualityMetrics } from './DeploymentQualityMetrics';

const DEPLOY = resolve(__dirname, '../../../../deploy');
const PORT = 19464;

/** Every series name the backend's Prometheus endpoint serves for the plugin. */
async function exportedNames(): Promise<Set<string>> {
  const exporter = new PrometheusExporter({ host: '127.0.0.1', port: PORT });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  try {
    // Backstage's metrics service hands out this meter's instruments as they are.
    const meter = metrics.getMeter('backstage-plugin-deployment-quality');
    const m = new DeploymentQualityMetrics(meter as unknown as MetricsService);
    // One of everything, so each instrument has a series to show.
    const event = deploymentEvent();
    m.ingestedEvents(
      [event, event],
      [
        { eventId: event.eventId, duplicate: false },
        { eventId: 'x', duplicate: false, failed: { reason: 'r', error: 'e' } },
      ],
    );
    m.rejectedEvent({ reason: 'invalid', transport: 'webhook' } as any);
    m.droppedRejected(1);
    m.receiveError();
    m.consumerBatch(0.1);
    m.request('/clusters', 'GET', 500, 0.2);
    m.rollupKeyParked('byStart' as any);
    m.retention({
      attempts: 1,
      testRuns: 0,
      promotions: 0,
      rejectedEvents: 0,
      ingestedEvents: 0,
      servicePairs: 0,
      clusterValidations: 0,
      externalScorecards: 0,
      costs: 0,
      testCases: 0,
    });
    m.observeQueueDepths(() => ({ queue: 3, dlq: 1 }));
    m.observeWorkers({
      consumer: () => ({
        running: true,
        lastReceiveAt: new Date().toISOString(),
      }),
      rollups: async () => ({ queuedKeys: 1, oldestQueuedAt: Date.now() }),
    });
    let text = '';
    for (let i = 0; i < 50 && !text.includes('deployment_quality'); i++) {
      text = await fetch(`http://127.0.0.1:${PORT}/metrics`)
        .then(r => r.text())
        .catch(() => new Promise<string>(r => setTimeout(() => r(''), 100)));
    }
    const names = new Set<string>();
    for (const line of text.split('\n')) {
      const series = line.match(/^([a-z_:][a-z0-9_:]*)[{ ]/)?.[1];
      if (series) names.add(series);
    }
    return names;
  } finally {
    await provider.shutdown();
    metrics.disable();
  }
}

/** The metric names an operator file refers to. */
function referenced(file: string): string[] {
  return [
    ...new Set(
      readFileSync(file, 'utf8').match(/deployment_quality_[a-z0-9_]+/g) ?? [],
    ),
  ];
}

describe('the operator kit (deploy/)', () => {
  let names: Set<string>;
  beforeAll(async () => {
    names = await exportedNames();
  });

  it('sees every instrument of the plugin in the scrape', () => {
    for (const name of [
      'deployment_quality_events_ingested_total',
      'deployment_quality_api_duration_bucket',
      'deployment_quality_queue_depth',
      'deployment_quality_consumer_up',
      'deployment_quality_consumer_last_receive_age',
      'deployment_quality_rollups_backlog_age',
    ]) {
      expect([...names]).toContain(name);
    }
  });

  const files = ['prometheus', 'grafana'].flatMap(dir =>
    readdirSync(join(DEPLOY, dir)).map(f => join(DEPLOY, dir, f)),
  );

  it.each(files.map(f => [f.slice(DEPLOY.length + 1), f]))(
    '%s refers only to metrics the backend exports',
    (_, file) => {
      const used = referenced(file);
      expect(used.length).toBeGreaterThan(0);
      expect(used.filter(n => !names.has(n))).toEqual([]);
    },
  );
});
