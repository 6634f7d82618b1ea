import { useState } from 'preact/hooks';
import {
  api,
  bridgeStatus,
  hoursAgo,
  NONE,
  ratio,
  statusText,
  utc,
  type Bridge,
  type Pool,
  type Stats,
} from '../api.js';
import { RowMenu, type MenuItem } from '../menu.js';
import { ConfirmDialog, ErrorText, Loading, Notice, PageTitle, useAsync } from '../ui.js';
import { CreateBridgeDialog, CredentialsDialog, RenameDialog, RevokeDialog, RotateDialog } from './bridge-dialogs.js';
import { ModeBadge } from './bridge-mode.js';

type Action =
  | { kind: 'create' }
  | { kind: 'created'; bridge: Bridge }
  | { kind: 'rename' | 'rotate' | 'revoke' | 'delete'; bridge: Bridge };

/** A row of the list's stats: the last 24 h, and when the Bridge last sent (any time). */
type ListStats = Stats & { bridgeId: string; lastSentAt: string | null };

/** The Bridges list: name, Pool, tracking, status, last 24 h, last send; search, create and row actions. */
export function BridgesPage() {
  // Deleted Bridges are read too, shown on request: their stats stay one click away.
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges?include=deleted'), []);
  // Kept in the address (`#/bridges?deleted=1`) so a reload or a link shows the same list.
  const [showDeleted, setShowDeleted] = useState(() => new URLSearchParams(location.hash.split('?')[1]).has('deleted'));
  const toggleDeleted = (on: boolean) => {
    setShowDeleted(on);
    history.replaceState(null, '', on ? '#/bridges?deleted=1' : '#/bridges');
  };
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  const stats = useAsync(
    () => api<{ data: ListStats[] }>('GET', `/admin/v1/stats/bridges?from=${encodeURIComponent(hoursAgo(24))}`),
    [],
  );
  const [action, setAction] = useState<Action | undefined>();
  const [notice, setNotice] = useState<string>();
  const poolName = (id: string) => pools.data?.data.find((p) => p.id === id)?.name ?? id;
  const statsOf = (id: string) => stats.data?.data.find((s) => s.bridgeId === id);
  const statsFailed = stats.error !== undefined;
  const deletedCount = bridges.data?.data.filter((b) => b.status === 'deleted').length ?? 0;
  const [search, setSearch] = useState('');
  const needle = search.trim().toLowerCase();
  const shown = bridges.data?.data.filter(
    (b) => (showDeleted || b.status !== 'deleted') && b.name.toLowerCase().includes(needle),
  );
  const rowItems = (b: Bridge, live: boolean): MenuItem[] => [
    { label: 'View SMTP details', href: `#/bridges/${b.id}` },
    ...(live
      ? [
          {
            label: 'Download credentials',
            href: `/admin/v1/bridges/${b.id}/credentials-file?format=env`,
            download: true,
          },
        ]
      : []),
    { label: 'Sending stats', href: `#/bridges/${b.id}/stats` },
    ...(live
      ? (['rename', 'rotate', 'revoke', 'delete'] as const).map((kind) => ({
          label: kind[0]!.toUpperCase() + kind.slice(1),
          danger: kind === 'delete',
          onSelect: () => setAction({ kind, bridge: b }),
        }))
      : []),
  ];
  const done = (text: string) => {
    setNotice(text);
    bridges.reload();
    stats.reload();
  };
  const close = () => setAction(undefined);
  return (
    <section>
      <div class="title-row">
        <PageTitle>Bridges</PageTitle>
        <button type="button" class="primary" onClick={() => setAction({ kind: 'create' })}>
          Create Bridge
        </button>
      </div>
      <Notice text={notice} />
      <ErrorText error={bridges.error ?? pools.error} />
      {statsFailed && (
        <p role="alert" class="error">
          Sending numbers unavailable: the stats could not be read (shown as {NONE}).
        </p>
      )}
      <div class="list-tools">
        <label class="search">
          Search by name
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={showDeleted} onChange={(e) => toggleDeleted(e.currentTarget.checked)} /> Show
          deleted Bridges ({deletedCount})
        </label>
      </div>
      <table>
        <caption class="visually-hidden">
          Bridges, with sends, bounce and complaint rates of the last 24 hours and the last send
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Pool</th>
            <th scope="col">
              <abbr title="Open / Click tracking">O / C</abbr>
            </th>
            <th scope="col">Status</th>
            <th scope="col">Sent (24 h)</th>
            <th scope="col">Bounce rate (24 h)</th>
            <th scope="col">
              <abbr title="Complaints over delivered">Complaint rate</abbr> (24 h)
            </th>
            <th scope="col">Last send (UTC)</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {shown?.map((b) => {
            const s = statsOf(b.id);
            const status = bridgeStatus(b);
            return (
              <tr key={b.id} data-bridge-id={b.id}>
                <th scope="row">
                  <a href={`#/bridges/${b.id}`}>{b.name}</a> <ModeBadge bridge={b} />
                </th>
                <td>{poolName(b.poolId)}</td>
                <td class="nowrap">
                  <span
                    class={`flag ${b.trackOpens ? 'on' : ''}`}
                    title={`Open tracking ${b.trackOpens ? 'on' : 'off'}`}
                  >
                    O<span class="visually-hidden"> {b.trackOpens ? 'on' : 'off'}</span>
                  </span>{' '}
                  <span
                    class={`flag ${b.trackClicks ? 'on' : ''}`}
                    title={`Click tracking ${b.trackClicks ? 'on' : 'off'}`}
                  >
                    C<span class="visually-hidden"> {b.trackClicks ? 'on' : 'off'}</span>
                  </span>
                </td>
                <td>
                  <span class={`status ${status}`}>{statusText(b)}</span>
                </td>
                <td class="num" data-testid="sent-24h">
                  {statsFailed ? NONE : stats.data ? (s?.sent ?? 0) : '…'}
                </td>
                <td class="num" data-testid="bounce-rate-24h">
                  {statsFailed ? NONE : stats.data ? ratio(s?.bounced ?? 0, s?.sent ?? 0) : '…'}
                </td>
                <td class="num" data-testid="complaint-rate-24h">
                  {statsFailed ? NONE : stats.data ? ratio(s?.complaints ?? 0, s?.delivered ?? 0) : '…'}
                </td>
                <td class="nowrap" data-testid="last-send">
                  {statsFailed ? NONE : stats.data ? (s?.lastSentAt ? utc(s.lastSentAt) : 'never') : '…'}
                </td>
                <td>
                  <RowMenu label={`Actions for ${b.name}`} items={rowItems(b, status !== 'deleted')} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {bridges.loading && <Loading what="Bridges" />}
      {shown?.length === 0 && needle && <p>No Bridge name contains “{search.trim()}”.</p>}
      {shown?.length === 0 && !needle && (
        <p>
          {deletedCount ? 'No active Bridges.' : 'No Bridges yet.'} Create one to get SMTP credentials and an API key.
        </p>
      )}
      {action?.kind === 'create' && (
        <CreateBridgeDialog
          pools={pools.data?.data ?? []}
          onClose={close}
          onCreated={(bridge) => (done(`Bridge ${bridge.name} created`), setAction({ kind: 'created', bridge }))}
        />
      )}
      {action?.kind === 'created' && (
        <CredentialsDialog bridge={action.bridge} title={`Credentials of ${action.bridge.name}`} onClose={close} />
      )}
      {action?.kind === 'rename' && (
        <RenameDialog bridge={action.bridge} onClose={close} onDone={() => done('Bridge renamed')} />
      )}
      {action?.kind === 'rotate' && (
        <RotateDialog
          bridge={action.bridge}
          onClose={close}
          onDone={(b) => (done('Credentials rotated'), setAction({ kind: 'created', bridge: b }))}
        />
      )}
      {action?.kind === 'revoke' && (
        <RevokeDialog bridge={action.bridge} onClose={close} onDone={() => done('Credential revoked')} />
      )}
      {action?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${action.bridge.name}?`}
          text="Its SMTP password and API key stop working at once; mail already queued is still delivered and its stats stay readable. This cannot be undone."
          confirm="Delete Bridge"
          onClose={close}
          onConfirm={async () => {
            await api('DELETE', `/admin/v1/bridges/${action.bridge.id}`);
            done(`Bridge ${action.bridge.name} deleted`);
          }}
        />
      )}
    </section>
  );
}
