import { createApp } from '@backstage/frontend-defaults';
import { appModule } from './modules/app';

export default createApp({
  features: [appModule],
});
