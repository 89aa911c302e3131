import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { sidebarContent } from './Sidebar';
import { guestSignInPage } from './SignIn';

/**
 * What this portal adds to the app plugin: its sidebar and its sign-in page.
 * Every plugin's pages, tabs and cards come from the packages themselves,
 * discovered through `app.packages` in app-config.yaml.
 */
export const appModule = createFrontendModule({
  pluginId: 'app',
  extensions: [sidebarContent, guestSignInPage],
});
