import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type Koa from 'koa';
import type { Logger } from '../../core/index.js';
import type { QueueDirectory } from '../admin-route.js';

/** Where bull-board is mounted on the admin port. */
export const QUEUE_BOARD_PATH = '/queues';

const REFRESH_MS = 2000;

/**
 * Security headers of bull-board's pages, API and assets: the console's policy. bull-board's page
 * runs no inline script (its `__UI_CONFIG__` block is `type="application/json"`, data the browser
 * never executes, so `script-src 'self'` needs no nonce or hash); its loading placeholder uses
 * inline styles, which `style-src 'unsafe-inline'` allows as the console's own policy does.
 */
const BOARD_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * A `<link>` to another host in a page: bull-board's entry page (its `index.ejs`, which no option
 * changes) links a Google Fonts stylesheet, which would fail offline and tell a third party about
 * every admin visit. It is dropped from the page we send; the UI's CSS falls back to system fonts.
 */
const OUTSIDE_LINK = /<link\b[^>]*\bhref=["']?(?:https?:)?\/\/[^>]*>\s*/gi;

/**
 * bull-board at {@link QUEUE_BOARD_PATH}, showing every queue of the directory; the list is
 * re-read (at most every 2 s) so a new Pool's queue appears without a restart. Authentication is
 * the caller's job: mount it behind the console's session check.
 */
export function queueBoard(queues: QueueDirectory, logger: Logger): Koa.Middleware {
  const adapter = new KoaAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Bridgemail queues' } },
  });
  const plugin = adapter.registerPlugin();
  let refreshedAt = 0;
  let refreshing: Promise<void> | undefined;
  const refresh = async () => {
    const list = await queues.list();
    board.replaceQueues(
      list.map(
        (q) =>
          new BullMQAdapter(q.queue, {
            readOnlyMode: false,
            description: q.kind === 'pool' ? `Pool ${q.poolId ?? ''}` : q.kind,
          }),
      ),
    );
    refreshedAt = Date.now();
  };
  return async (ctx, next) => {
    if (Date.now() - refreshedAt > REFRESH_MS) {
      refreshing ??= refresh().finally(() => {
        refreshing = undefined;
      });
      await refreshing.catch((err: unknown) => logger.warn({ err }, 'queue list not refreshed'));
    }
    await plugin(ctx, next);
    ctx.set(BOARD_HEADERS);
    if (typeof ctx.body === 'string' && ctx.response.is('html')) ctx.body = ctx.body.replace(OUTSIDE_LINK, '');
  };
}
