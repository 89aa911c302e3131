import { RootConfigService } from '@backstage/backend-plugin-api';
import { Cluster } from '@internal/plugin-deployment-quality-common';

export interface WebhookKey {
  name: string;
  secret: string;
}

export interface DeploymentQualityConfig {
  clusters: Cluster[];
  webhook: {
    maxBodyBytes: number;
    keys: WebhookKey[];
  };
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Reads `deploymentQuality` from app-config, applying the documented defaults. */
export function readDeploymentQualityConfig(
  config: RootConfigService,
): DeploymentQualityConfig {
  const dq = config.getOptionalConfig('deploymentQuality');
  const clusters = (dq?.getOptionalConfigArray('clusters') ?? []).map(c => ({
    id: c.getString('id'),
    name: c.getString('name'),
    type: c.getOptionalString('type') ?? '',
    role: c.getOptionalString('role') ?? '',
    description: c.getOptionalString('description') ?? '',
    ...(c.has('region') ? { region: c.getString('region') } : {}),
    configured: true,
  }));
  const webhook = dq?.getOptionalConfig('ingestion.webhook');
  const keys = (webhook?.getOptionalConfigArray('keys') ?? []).map(k => ({
    name: k.getString('name'),
    secret: k.getString('secret'),
  }));
  for (const key of keys) {
    if (key.secret.length < 16) {
      throw new Error(
        `deploymentQuality.ingestion.webhook.keys: the secret of '${key.name}' must be at least 16 characters`,
      );
    }
  }
  return {
    clusters,
    webhook: {
      maxBodyBytes:
        webhook?.getOptionalNumber('maxBodyBytes') ?? DEFAULT_MAX_BODY_BYTES,
      keys,
    },
  };
}
