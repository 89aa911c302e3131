import { createBackend } from '@backstage/backend-defaults';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

// The plugin alone, with an empty in-memory catalog: what `yarn start` in
// this package runs, and what the reliability scripts start and kill.
const backend = createBackend();
backend.add(catalogServiceMock.factory({ entities: [] }));
backend.add(import('../src'));
backend.start();
