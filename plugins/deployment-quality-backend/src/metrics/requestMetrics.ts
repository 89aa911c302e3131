import { RequestHandler } from 'express';
import { DeploymentQualityMetrics } from './DeploymentQualityMetrics';

/**
 * Times every request into the API-latency histogram, labelled by the route
 * template that answered (`/clusters/:clusterId/summary`), never by the raw
 * URL: ids in label values would make the series unbounded.
 */
export function requestMetrics(
  metrics: Pick<DeploymentQualityMetrics, 'request'>,
): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      metrics.request(
        req.route?.path ?? 'unmatched',
        req.method,
        res.statusCode,
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}
