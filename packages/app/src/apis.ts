import { AnyApiFactory } from '@backstage/core-plugin-api';

// The app's own API overrides; plugins bring their own factories.
export const apis: AnyApiFactory[] = [];
