import { TestDatabases } from '@backstage/backend-test-utils';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { Notice, NotifyWindows, Outgoing } from './NotifyWindows';

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const notice = (title: string): Notice => ({
  entityRef: 'component:default/billing',
  title,
  description: `${title}.`,
  link: '/catalog/default/component/billing/deployments',
  severity: 'high',
  topic: 'deployment-quality:deploymentFailed',
});
const WINDOW = 30 * 60_000;
const T0 = Date.UTC(2026, 11, 4, 10);

describe.each(databases.eachSupportedId())('NotifyWindows on %p', id => {
  let windows: NotifyWindows;
  let sent: Outgoing[];
  const send = async (o: Outgoing) => {
    sent.push(o);
  };

  beforeEach(async () => {
    const { knex } = await createTestStore(databases, id);
    windows = new NotifyWindows(knex);
    sent = [];
  });

  it('sends the first firing, counts the rest of the window, and sends the count once when it closes', async () => {
    const first = await windows.fire(
      'deploymentFailed',
      'prod/billing',
      notice('a'),
      WINDOW,
      T0,
    );
    expect(first).toMatchObject({ count: 1, since: T0, notice: notice('a') });
    for (let i = 1; i <= 4; i++) {
      expect(
        await windows.fire(
          'deploymentFailed',
          'prod/billing',
          notice(`b${i}`),
          WINDOW,
          T0 + i * 60_000,
        ),
      ).toBeUndefined();
    }
    // Another subject has a window of its own.
    expect(
      await windows.fire(
        'deploymentFailed',
        'prod/vault',
        notice('v'),
        WINDOW,
        T0,
      ),
    ).toMatchObject({ count: 1 });

    await windows.close(T0 + WINDOW - 1, send);
    expect(sent).toEqual([]);
    await windows.close(T0 + WINDOW, send);
    // Only billing fired again: one update, same scope, the latest notice.
    expect(sent).toEqual([{ ...first!, notice: notice('b4'), count: 5 }]);
    await windows.close(T0 + 2 * WINDOW, send);
    expect(sent).toHaveLength(1);
    // The window is gone: the next firing is sent, under a new scope.
    const next = await windows.fire(
      'deploymentFailed',
      'prod/billing',
      notice('c'),
      WINDOW,
      T0 + 3 * WINDOW,
    );
    expect(next).toMatchObject({ count: 1 });
    expect(next!.scope).not.toEqual(first!.scope);
  });

  it('carries the firings of a window that closed unflushed into the next notification', async () => {
    await windows.fire('gateFailed', 's', notice('a'), WINDOW, T0);
    await windows.fire('gateFailed', 's', notice('b'), WINDOW, T0 + 1);
    const next = await windows.fire(
      'gateFailed',
      's',
      notice('c'),
      WINDOW,
      T0 + WINDOW + 5,
    );
    expect(next).toMatchObject({ count: 2, since: T0, notice: notice('c') });
    await windows.close(T0 + 2 * WINDOW + 5, send);
    expect(sent).toEqual([]);
  });

  it('keeps a window whose update fails, and sends it on the next pass', async () => {
    await windows.fire('gateFailed', 's', notice('a'), WINDOW, T0);
    await windows.fire('gateFailed', 's', notice('b'), WINDOW, T0 + 1);
    await expect(
      windows.close(T0 + WINDOW, async () => {
        throw new Error('notifications backend down');
      }),
    ).rejects.toThrow('down');
    await windows.close(T0 + WINDOW, send);
    expect(sent).toMatchObject([{ count: 2 }]);
  });

  it('forgets a window whose first notification could not be sent, so a retry sends it', async () => {
    const first = await windows.fire(
      'deploymentFailed',
      's',
      notice('a'),
      WINDOW,
      T0,
    );
    await windows.forget(first!.window);
    expect(
      await windows.fire('deploymentFailed', 's', notice('a'), WINDOW, T0 + 1),
    ).toMatchObject({ count: 1 });
  });
});
