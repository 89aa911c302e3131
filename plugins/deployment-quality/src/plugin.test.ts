import { deploymentQualityPlugin } from './plugin';

describe('deployment-quality', () => {
  it('should export plugin', () => {
    expect(deploymentQualityPlugin).toBeDefined();
  });
});
