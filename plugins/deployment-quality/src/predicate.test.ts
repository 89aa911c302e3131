import { Entity } from '@backstage/catalog-model';
import { isDeploymentQualityAvailable } from './predicate';

const entity = (
  kind: string,
  type?: string,
  annotations?: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'x', ...(annotations ? { annotations } : {}) },
  ...(type ? { spec: { type } } : {}),
});

describe('isDeploymentQualityAvailable', () => {
  it('holds for any entity with the service-id annotation', () => {
    expect(
      isDeploymentQualityAvailable(
        entity('Resource', 'database', {
          'deployment-quality/service-id': 'db',
        }),
      ),
    ).toBe(true);
  });

  it('holds for service components, which the backend links by name', () => {
    expect(isDeploymentQualityAvailable(entity('Component', 'service'))).toBe(
      true,
    );
  });

  it('does not hold for other entities without the annotation', () => {
    expect(isDeploymentQualityAvailable(entity('Component', 'website'))).toBe(
      false,
    );
    expect(isDeploymentQualityAvailable(entity('System'))).toBe(false);
  });
});
