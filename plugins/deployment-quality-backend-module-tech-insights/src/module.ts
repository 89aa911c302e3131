import { createBackendModule } from '@backstage/backend-plugin-api';
import { techInsightsFactRetrieversExtensionPoint } from '@backstage-community/plugin-tech-insights-node';
import {
  DEPLOYMENT_QUALITY_FACT_RETRIEVER_ID,
  deploymentQualityFactRetriever,
} from './factRetriever';

/**
 * Adds the Deployment & Quality fact retriever to the tech-insights
 * backend. It runs on the schedule of
 * `techInsights.factRetrievers.deploymentQualityFactRetriever` (its
 * `cadence`, a cron expression), as every tech-insights retriever does.
 * @public
 */
export const techInsightsModuleDeploymentQualityFacts = createBackendModule({
  pluginId: 'tech-insights',
  moduleId: 'deployment-quality-facts',
  register(reg) {
    reg.registerInit({
      deps: { retrievers: techInsightsFactRetrieversExtensionPoint },
      async init({ retrievers }) {
        retrievers.addFactRetrievers({
          [DEPLOYMENT_QUALITY_FACT_RETRIEVER_ID]:
            deploymentQualityFactRetriever,
        });
      },
    });
  },
});
