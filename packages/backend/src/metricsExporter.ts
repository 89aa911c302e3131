import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * Installs the OpenTelemetry meter provider that Backstage's metrics service
 * (and so every plugin's metrics) reports to, with a Prometheus scrape
 * endpoint. Off unless `OTEL_METRICS_EXPORTER` includes `prometheus` (the
 * OpenTelemetry SDK's own switch); then it serves `GET /metrics` on
 * `OTEL_EXPORTER_PROMETHEUS_HOST`:`OTEL_EXPORTER_PROMETHEUS_PORT` (default
 * 0.0.0.0:9464, so a pod's scrape annotation can reach it).
 *
 * It must run before the backend starts: plugins take their meter when they
 * initialise, and an OpenTelemetry meter got before a provider is installed
 * stays a no-op.
 */
export function startMetricsExporter(
  env: NodeJS.ProcessEnv = process.env,
): { port: number; shutdown(): Promise<void> } | undefined {
  const exporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',');
  if (!exporters.map(e => e.trim()).includes('prometheus')) return undefined;
  const port = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464);
  const exporter = new PrometheusExporter({
    host: env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '0.0.0.0',
    port,
  });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return {
    port,
    shutdown: async () => {
      await provider.shutdown();
      metrics.disable();
    },
  };
}
