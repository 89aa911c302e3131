/**
 * Tech Insights facts from Deployment & Quality, so Tech Insights and
 * Soundcheck scorecards can check delivery: change failure rate, deployment
 * frequency, lead time, recovery time, gate pass rate and version drift per
 * Component. Example checks: `checks.example.yaml` in this package.
 *
 * @packageDocumentation
 */
export { techInsightsModuleDeploymentQualityFacts as default } from './module';
export {
  DEPLOYMENT_QUALITY_FACT_RETRIEVER_ID,
  deploymentQualityFactRetriever,
} from './factRetriever';
