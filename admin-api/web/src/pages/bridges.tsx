import { useState } from 'preact/hooks';
import { api, bridgeStatus, hoursAgo, percent, type Bridge, type Pool, type Stats } from '../api.js';
import { ConfirmDialog, Dialog, ErrorText, Notice, PageTitle, useAsync, ValueField } from '../ui.js';

type Action =
  | { kind: 'create' }
  | { kind: 'created'; bridge: Bridge }
  | { kind: 'rename' | 'rotate' | 'revoke' | 'delete'; bridge: Bridge };

/** The Bridges list: name, Pool, tracking, status, last 24 h; create and row actions. */
export function BridgesPage() {
  // Deleted Bridges stay listed, marked, so their stats remain one click away.
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges?include=deleted'), []);
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  const stats = useAsync(
    () =>
      api<{ data: (Stats & { bridgeId: string })[] }>(
        'GET',
        `/admin/v1/stats/bridges?from=${encodeURIComponent(hoursAgo(24))}`,
      ),
    [],
  );
  const [action, setAction] = useState<Action | undefined>();
  const [notice, setNotice] = useState<string>();
  const poolName = (id: string) => pools.data?.data.find((p) => p.id === id)?.name ?? id;
  const statsOf = (id: string) => stats.data?.data.find((s) => s.bridgeId === id);
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
      <table>
        <caption class="visually-hidden">Bridges, with sends and bounce rate of the last 24 hours</caption>
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
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {bridges.data?.data.map((b) => {
            const s = statsOf(b.id);
            const status = bridgeStatus(b);
            return (
              <tr key={b.id} data-bridge-id={b.id}>
                <th scope="row">
                  <a href={`#/bridges/${b.id}`}>{b.name}</a>
                </th>
                <td>{poolName(b.poolId)}</td>
                <td>
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
                  <span class={`status ${status}`}>{status}</span>
                </td>
                <td class="num" data-testid="sent-24h">
                  {s?.sent ?? 0}
                </td>
                <td class="num">{percent(s?.rates.bounceRate ?? 0)}</td>
                <td>
                  <div class="row-actions" role="group" aria-label={`Actions for ${b.name}`}>
                    <a class="button small" href={`#/bridges/${b.id}`}>
                      View SMTP details
                    </a>
                    {status !== 'deleted' && (
                      <a class="button small" href={`/admin/v1/bridges/${b.id}/credentials-file?format=env`} download>
                        Download credentials
                      </a>
                    )}
                    <a class="button small" href={`#/bridges/${b.id}/stats`}>
                      Sending stats
                    </a>
                    {status !== 'deleted' && (
                      <>
                        <button type="button" class="small" onClick={() => setAction({ kind: 'rename', bridge: b })}>
                          Rename
                        </button>
                        <button type="button" class="small" onClick={() => setAction({ kind: 'rotate', bridge: b })}>
                          Rotate
                        </button>
                        <button type="button" class="small" onClick={() => setAction({ kind: 'revoke', bridge: b })}>
                          Revoke
                        </button>
                        <button
                          type="button"
                          class="small danger"
                          onClick={() => setAction({ kind: 'delete', bridge: b })}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {bridges.data?.data.length === 0 && <p>No Bridges yet. Create one to get SMTP credentials and an API key.</p>}
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

function CreateBridgeDialog({
  pools,
  onClose,
  onCreated,
}: {
  pools: Pool[];
  onClose: () => void;
  onCreated: (b: Bridge) => void;
}) {
  const [name, setName] = useState('');
  const [poolId, setPoolId] = useState(pools[0]?.id ?? '');
  const [trackOpens, setTrackOpens] = useState(false);
  const [trackClicks, setTrackClicks] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <Dialog title="Create Bridge" onClose={onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            onCreated(
              await api<Bridge>('POST', '/admin/v1/bridges', { name: name.trim(), poolId, trackOpens, trackClicks }),
            );
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          Name
          <input name="name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Pool
          <select name="pool" required value={poolId} onChange={(e) => setPoolId(e.currentTarget.value)}>
            {pools.length === 0 && <option value="">No Pools: create one first</option>}
            {pools.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.ips.join(', ')})
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={trackOpens} onChange={(e) => setTrackOpens(e.currentTarget.checked)} /> Track
          opens
        </label>
        <label class="check">
          <input type="checkbox" checked={trackClicks} onChange={(e) => setTrackClicks(e.currentTarget.checked)} />{' '}
          Track clicks
        </label>
        <p class="hint">The Pool cannot be changed later.</p>
        <ErrorText error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Shows a Bridge's credentials (after creation or rotation). */
export function CredentialsDialog({ bridge, title, onClose }: { bridge: Bridge; title: string; onClose: () => void }) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>Store these now; they are also on the Bridge's page.</p>
      <div class="stack">
        <ValueField label="SMTP host" value={bridge.smtp.host} />
        <ValueField label="SMTP port (STARTTLS)" value={String(bridge.smtp.port)} />
        <ValueField label="SMTP port (TLS)" value={String(bridge.smtp.securePort)} />
        <ValueField label="SMTP username" value={bridge.smtp.username} />
        {bridge.smtp.password && <ValueField label="SMTP password" value={bridge.smtp.password} secret />}
        {bridge.apiKey && <ValueField label="API key" value={bridge.apiKey} secret />}
      </div>
      <div class="actions">
        <a class="button" href={`#/bridges/${bridge.id}`} onClick={onClose}>
          Open Bridge
        </a>
        <button type="button" class="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function RenameDialog({ bridge, onClose, onDone }: { bridge: Bridge; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(bridge.name);
  const [error, setError] = useState<unknown>();
  return (
    <Dialog title={`Rename ${bridge.name}`} onClose={onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api('PATCH', `/admin/v1/bridges/${bridge.id}`, { name: name.trim() });
            onDone();
            onClose();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          New name
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <ErrorText error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function WhatDialog({
  bridge,
  verb,
  options,
  onClose,
  onSubmit,
}: {
  bridge: Bridge;
  verb: string;
  options: [string, string][];
  onClose: () => void;
  onSubmit: (what: string) => Promise<void>;
}) {
  const [what, setWhat] = useState(options[0]?.[0] ?? '');
  const [error, setError] = useState<unknown>();
  return (
    <Dialog title={`${verb} credentials of ${bridge.name}`} onClose={onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await onSubmit(what);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <fieldset>
          <legend>Which credential?</legend>
          {options.map(([value, label]) => (
            <label class="check" key={value}>
              <input type="radio" name="what" value={value} checked={what === value} onChange={() => setWhat(value)} />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        <p class="hint">
          The old{' '}
          {verb === 'Rotate'
            ? 'credential stops working as soon as the new one is issued'
            : 'credential stops working at once; rotate it to send again'}
          . Other Bridges are not affected.
        </p>
        <ErrorText error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="danger">
            {verb}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RotateDialog({
  bridge,
  onClose,
  onDone,
}: {
  bridge: Bridge;
  onClose: () => void;
  onDone: (b: Bridge) => void;
}) {
  return (
    <WhatDialog
      bridge={bridge}
      verb="Rotate"
      options={[
        ['both', 'SMTP password and API key'],
        ['smtp', 'SMTP password'],
        ['api', 'API key'],
      ]}
      onClose={onClose}
      onSubmit={async (what) => onDone(await api<Bridge>('POST', `/admin/v1/bridges/${bridge.id}/rotate`, { what }))}
    />
  );
}

function RevokeDialog({ bridge, onClose, onDone }: { bridge: Bridge; onClose: () => void; onDone: () => void }) {
  return (
    <WhatDialog
      bridge={bridge}
      verb="Revoke"
      options={[
        ['api', 'API key'],
        ['smtp', 'SMTP password'],
      ]}
      onClose={onClose}
      onSubmit={async (what) => {
        await api('POST', `/admin/v1/bridges/${bridge.id}/revoke`, { what });
        onDone();
        onClose();
      }}
    />
  );
}
