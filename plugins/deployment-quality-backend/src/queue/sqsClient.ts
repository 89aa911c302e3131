import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsConfig } from '../config';

/**
 * An SQS client for the configured queue. Credentials come from the default
 * AWS SDK chain (environment, IRSA on EKS, instance role), never from config.
 */
export function createSqsClient(config: SqsConfig): SQSClient {
  return new SQSClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
}
