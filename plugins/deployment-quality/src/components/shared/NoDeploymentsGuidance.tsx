import { CodeSnippet, EmptyState } from '@backstage/core-components';
import { Typography } from '@material-ui/core';
import { SERVICE_ID_ANNOTATION } from '@deployment-quality/plugin-deployment-quality-common';

/**
 * What an entity without deployment data sees: which service id it is looked
 * up by, and how to point it at another one. Like Backstage's
 * `MissingAnnotationEmptyState`, but the annotation is optional here (the
 * entity's name is the fallback), so the wording says so.
 */
export const NoDeploymentsGuidance = ({
  serviceId,
  title = 'No deployments reported yet',
}: {
  serviceId: string;
  title?: string;
}) => (
  <EmptyState
    missing="data"
    title={title}
    description={`Deployments appear here once a CI/CD system reports them for service id "${serviceId}". If this component reports under another id, set the ${SERVICE_ID_ANNOTATION} annotation.`}
    action={
      <>
        <Typography variant="body2">
          Add to the entity's catalog-info.yaml:
        </Typography>
        <CodeSnippet
          language="yaml"
          text={`metadata:\n  annotations:\n    ${SERVICE_ID_ANNOTATION}: ${serviceId}`}
        />
      </>
    }
  />
);

/** The id the backend falls back to when the annotation is absent. */
export const serviceIdOf = (entity: {
  metadata: { name: string; annotations?: Record<string, string> };
}) =>
  entity.metadata.annotations?.[SERVICE_ID_ANNOTATION] ?? entity.metadata.name;
