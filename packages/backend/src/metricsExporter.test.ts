import { metrics } from '@opentelemetry/api';
import { createServer } from 'node:net';
import { startMetricsExporter } from './metricsExporter';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('startMetricsExporter', () => {
  it('is off unless the Prometheus exporter is asked for', () => {
    expect(startMetricsExporter({})).toBeUndefined();
    expect(
      startMetricsExporter({ OTEL_METRICS_EXPORTER: 'otlp' }),
    ).toBeUndefined();
  });

  it('serves metrics recorded through the global meter in Prometheus format', async () => {
    const port = await freePort();
    const exporter = startMetricsExporter({
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    try {
      metrics
        .getMeter('backstage-plugin-deployment-quality')
        .createCounter('deployment_quality.events.ingested')
        .add(3, { result: 'stored' });
      let text = '';
      // The exporter's server starts listening asynchronously.
      for (let i = 0; i < 50 && !text; i++) {
        text = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then(r => r.text())
          .catch(() => new Promise<string>(r => setTimeout(() => r(''), 100)));
      }
      expect(text).toMatch(
        /deployment_quality_events_ingested(_total)?\{[^}]*result="stored"[^}]*\} 3/,
      );
    } finally {
      await exporter?.shutdown();
    }
  });
});
