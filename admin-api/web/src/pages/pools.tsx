import { useState } from 'preact/hooks';
import { api, type Account, type Pool } from '../api.js';
import { ConfirmDialog, ErrorText, Loading, Notice, PageTitle, useAsync } from '../ui.js';

/** Pools and their IPs: create, rename, add / re-weight / remove IPs, delete. */
export function PoolsPage() {
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  const accounts = useAsync(() => api<{ data: Account[] }>('GET', '/admin/v1/accounts'), []);
  const accountName = (id: string | null) => accounts.data?.data.find((a) => a.id === id)?.name ?? id ?? '';
  const [name, setName] = useState('');
  const [ips, setIps] = useState('');
  // '' for a shared Pool, else the account it is dedicated to.
  const [owner, setOwner] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [deleting, setDeleting] = useState<Pool>();
  const run = async (fn: () => Promise<unknown>, text: string) => {
    try {
      await fn();
      setError(undefined);
      setNotice(text);
      pools.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <PageTitle>Pools & IPs</PageTitle>
      <Notice text={notice} />
      <ErrorText error={error ?? pools.error} />
      <form
        class="inline-form"
        aria-label="Create Pool"
        onSubmit={(e) => {
          e.preventDefault();
          const list = ips
            .split(/[\s,]+/)
            .map((s) => s.trim())
            .filter(Boolean);
          const kind = owner ? { kind: 'dedicated', accountId: owner } : { kind: 'shared' };
          void run(
            () => api('POST', '/admin/v1/pools', { name: name.trim(), ips: list, ...kind }),
            `Pool ${name.trim()} created, ${owner ? `dedicated to ${accountName(owner)}` : 'shared'}`,
          ).then(() => (setName(''), setIps('')));
        }}
      >
        <label>
          Pool name
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          IPs (comma separated)
          <input
            required
            value={ips}
            onInput={(e) => setIps(e.currentTarget.value)}
            placeholder="203.0.113.10, 203.0.113.11"
          />
        </label>
        <label>
          Used by
          <select value={owner} onChange={(e) => setOwner(e.currentTarget.value)}>
            <option value="">Shared (every account)</option>
            {accounts.data?.data.map((a) => (
              <option key={a.id} value={a.id} disabled={!a.dedicatedIps}>
                Dedicated to {a.name}
                {a.dedicatedIps ? '' : ' (no plan)'}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create Pool
        </button>
      </form>
      {pools.data?.data.map((p) => (
        <PoolCard
          key={p.id}
          pool={p}
          owner={p.kind === 'dedicated' ? `Dedicated to ${accountName(p.accountId)}` : 'Shared by every account'}
          run={run}
          onDelete={() => setDeleting(p)}
        />
      ))}
      {pools.loading && <Loading what="Pools" />}
      {pools.data?.data.length === 0 && <p>No Pools yet.</p>}
      {deleting && (
        <ConfirmDialog
          title={`Delete Pool ${deleting.name}?`}
          text="Only a Pool without live Bridges can be deleted; its IPs are freed."
          confirm="Delete Pool"
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api('DELETE', `/admin/v1/pools/${deleting.id}`);
            setNotice(`Pool ${deleting.name} deleted`);
            pools.reload();
          }}
        />
      )}
    </section>
  );
}

function PoolCard({
  pool,
  owner,
  run,
  onDelete,
}: {
  pool: Pool;
  /** Who may bind Bridges to it, in words. */
  owner: string;
  run: (fn: () => Promise<unknown>, text: string) => Promise<void>;
  onDelete: () => void;
}) {
  const [ip, setIp] = useState('');
  const [rename, setRename] = useState(pool.name);
  return (
    <section class="card" aria-labelledby={`pool-${pool.id}`}>
      <div class="title-row">
        <h2 id={`pool-${pool.id}`}>{pool.name}</h2>
        <span class="mono hint">{pool.id}</span>
        <span class="hint" data-testid="pool-owner">
          {owner}
        </span>
        <button type="button" class="small danger" onClick={onDelete}>
          Delete Pool
        </button>
      </div>
      <table>
        <caption class="visually-hidden">IPs of {pool.name}</caption>
        <thead>
          <tr>
            <th scope="col">IP</th>
            <th scope="col">Weight</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {pool.ips.map((addr) => (
            <tr key={addr}>
              <th scope="row" class="mono">
                {addr}
              </th>
              <td>
                <label>
                  <span class="visually-hidden">Weight of {addr}</span>
                  <input
                    type="number"
                    min={0}
                    max={1000}
                    value={pool.weights[addr] ?? 1}
                    onChange={(e) =>
                      void run(
                        () =>
                          api('PATCH', `/admin/v1/pools/${pool.id}/ips/${encodeURIComponent(addr)}`, {
                            weight: Number(e.currentTarget.value),
                          }),
                        `Weight of ${addr} set`,
                      )
                    }
                  />
                </label>
              </td>
              <td>
                <button
                  type="button"
                  class="small"
                  aria-label={`Remove IP ${addr}`}
                  onClick={() =>
                    void run(
                      () => api('DELETE', `/admin/v1/pools/${pool.id}/ips/${encodeURIComponent(addr)}`),
                      `${addr} removed`,
                    )
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="inline-form"
        aria-label={`Add IP to ${pool.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api('POST', `/admin/v1/pools/${pool.id}/ips`, { ip: ip.trim() }), `${ip.trim()} added`).then(
            () => setIp(''),
          );
        }}
      >
        <label>
          New IP for {pool.name}
          <input required value={ip} onInput={(e) => setIp(e.currentTarget.value)} />
        </label>
        <button type="submit">Add IP</button>
      </form>
      <form
        class="inline-form"
        aria-label={`Rename ${pool.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api('PATCH', `/admin/v1/pools/${pool.id}`, { name: rename.trim() }), 'Pool renamed');
        }}
      >
        <label>
          Name of {pool.name}
          <input required maxLength={100} value={rename} onInput={(e) => setRename(e.currentTarget.value)} />
        </label>
        <button type="submit">Rename</button>
      </form>
    </section>
  );
}
