import { createBackend } from '@backstage/backend-defaults';
import { startMetricsExporter } from './metricsExporter';

// First: plugins take their meters when they initialise.
startMetricsExporter();

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// Owners are told of failures through these (deploymentQuality.notifications).
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// Serves the actions registry's tools (ours among them) to AI agents over
// MCP at /api/mcp-actions/v1.
backend.add(import('@backstage/plugin-mcp-actions-backend'));

backend.add(import('@deployment-quality/plugin-deployment-quality-backend'));
backend.add(
  import(
    '@deployment-quality/plugin-deployment-quality-backend-module-sources'
  ),
);
backend.start();
