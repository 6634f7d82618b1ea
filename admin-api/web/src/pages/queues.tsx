import { useEffect } from 'preact/hooks';
import { api, type Pool, type QueueView } from '../api.js';
import { ErrorText, Loading, PageTitle, useAsync } from '../ui.js';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** Queue depths of every Pool, inbound reports and webhooks, and the event stream backlog. */
export function QueuesPage() {
  const q = useAsync(
    () =>
      api<{
        data: QueueView[];
        events: { length: number; groups: { name: string; pending: number; lag: number | null }[] };
      }>('GET', '/admin/v1/queues'),
    [],
  );
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  useEffect(() => {
    const timer = setInterval(q.reload, 3000);
    return () => clearInterval(timer);
  }, [q.reload]);
  const title = (v: QueueView) =>
    v.kind === 'pool'
      ? `Pool ${pools.data?.data.find((p) => p.id === v.poolId)?.name ?? v.poolId}`
      : v.kind === 'inbound'
        ? 'Inbound reports (DSN, ARF)'
        : 'Webhooks';
  return (
    <section>
      <div class="title-row">
        <PageTitle>Queues</PageTitle>
        <a class="button" href="/queues">
          Open bull-board
        </a>
      </div>
      <ErrorText error={q.error} />
      <table>
        <caption class="visually-hidden">Jobs per queue and state</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            {STATES.map((s) => (
              <th scope="col" key={s}>
                {s}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {q.data?.data.map((v) => (
            <tr key={v.name}>
              <th scope="row">
                {title(v)} <span class="mono hint">{v.name}</span>
              </th>
              {STATES.map((s) => (
                <td class="num" key={s}>
                  {v.counts[s] ?? 0}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {q.loading && <Loading what="the queues" />}
      <h2>Event stream</h2>
      <p>
        Entries waiting in Redis: <strong>{q.data?.events.length ?? '…'}</strong>
      </p>
      <table>
        <caption class="visually-hidden">Event stream readers</caption>
        <thead>
          <tr>
            <th scope="col">Reader</th>
            <th scope="col">Read, not acknowledged</th>
            <th scope="col">Not read yet</th>
          </tr>
        </thead>
        <tbody>
          {q.data?.events.groups.map((g) => (
            <tr key={g.name}>
              <th scope="row">{g.name}</th>
              <td class="num">{g.pending}</td>
              <td class="num">{g.lag ?? 'unknown'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
