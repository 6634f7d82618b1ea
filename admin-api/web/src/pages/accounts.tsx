import { useState } from 'preact/hooks';
import { api, utc, type Account, type AccountToken, type Pool } from '../api.js';
import { ConfirmDialog, ErrorText, Loading, Notice, PageTitle, useAsync, ValueField } from '../ui.js';

/** The operator's customers: create accounts, set their plan, issue and revoke their tokens. */
export function AccountsPage() {
  const accounts = useAsync(() => api<{ data: Account[] }>('GET', '/admin/v1/accounts'), []);
  const pools = useAsync(() => api<{ data: Pool[] }>('GET', '/admin/v1/pools'), []);
  const [name, setName] = useState('');
  const [dedicatedIps, setDedicatedIps] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const run = async (fn: () => Promise<unknown>, text: string) => {
    try {
      await fn();
      setError(undefined);
      setNotice(text);
      accounts.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <PageTitle>Accounts</PageTitle>
      <p>
        Each account's token opens the console and the admin API on that account's Bridges, templates, suppressions,
        webhooks and domains only.
      </p>
      <Notice text={notice} />
      <ErrorText error={error ?? accounts.error} />
      <form
        class="inline-form"
        aria-label="Create account"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => api('POST', '/admin/v1/accounts', { name: name.trim(), dedicatedIps }),
            `Account ${name.trim()} created`,
          ).then(() => setName(''));
        }}
      >
        <label>
          Account name
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          <input type="checkbox" checked={dedicatedIps} onChange={(e) => setDedicatedIps(e.currentTarget.checked)} />
          Plan with dedicated IPs
        </label>
        <button type="submit" class="primary">
          Create account
        </button>
      </form>
      {accounts.data?.data.map((a) => (
        <AccountCard key={a.id} account={a} pools={pools.data?.data ?? []} run={run} />
      ))}
      {accounts.loading && <Loading what="accounts" />}
    </section>
  );
}

/** What a part of an account's card works with: the account, the Pools, and the page's action runner. */
interface AccountPartProps {
  account: Account;
  pools: Pool[];
  run: (fn: () => Promise<unknown>, text: string) => Promise<void>;
}

function AccountCard({ account, pools, run }: AccountPartProps) {
  const tokens = useAsync(
    () => api<{ data: AccountToken[] }>('GET', `/admin/v1/accounts/${account.id}/tokens`),
    [account.id],
  );
  const [tokenName, setTokenName] = useState('');
  const [secret, setSecret] = useState<string>();
  return (
    <article class="card" aria-label={`Account ${account.name}`}>
      <h2>{account.name}</h2>
      <p>
        <code>{account.id}</code> · {account.dedicatedIps ? 'dedicated IPs' : 'shared Pools only'}{' '}
        <button
          type="button"
          class="small"
          onClick={() =>
            void run(
              () => api('PATCH', `/admin/v1/accounts/${account.id}`, { dedicatedIps: !account.dedicatedIps }),
              `${account.name}: ${account.dedicatedIps ? 'shared Pools only' : 'dedicated IPs'}`,
            )
          }
        >
          {account.dedicatedIps ? 'Remove dedicated IPs' : 'Allow dedicated IPs'}
        </button>
      </p>
      <form
        class="inline-form"
        aria-label={`New token for ${account.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const created = await api<{ token: string }>('POST', `/admin/v1/accounts/${account.id}/tokens`, {
              name: tokenName.trim(),
            });
            setSecret(created.token);
            setTokenName('');
            tokens.reload();
          }, `Token created for ${account.name}: copy it now, it is not shown again`);
        }}
      >
        <label>
          Token name
          <input required maxLength={100} value={tokenName} onInput={(e) => setTokenName(e.currentTarget.value)} />
        </label>
        <button type="submit">Create token</button>
      </form>
      {secret && <ValueField label="New token (shown once)" value={secret} secret />}
      <RebindForm account={account} pools={pools} run={run} />
      <table>
        <caption>Tokens of {account.name}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {tokens.data?.data.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{utc(t.createdAt)}</td>
              <td>{t.lastUsedAt ? utc(t.lastUsedAt) : 'never'}</td>
              <td>
                {t.revokedAt ? (
                  'revoked'
                ) : (
                  <button
                    type="button"
                    class="small danger"
                    onClick={() =>
                      void run(async () => {
                        await api('DELETE', `/admin/v1/accounts/${account.id}/tokens/${t.id}`);
                        tokens.reload();
                      }, `Token ${t.name} revoked`)
                    }
                  >
                    Revoke {t.name}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorText error={tokens.error} />
    </article>
  );
}

/**
 * The plan upgrade or downgrade: every Bridge of the account on one Pool moves to another, keeping
 * its ids, names and credentials; mail accepted from then on leaves from the new Pool's IPs.
 */
function RebindForm({ account, pools, run }: AccountPartProps) {
  const usable = pools.filter((p) => p.kind === 'shared' || p.accountId === account.id);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [asking, setAsking] = useState(false);
  const nameOf = (id: string) => pools.find((p) => p.id === id)?.name ?? id;
  const options = (list: Pool[]) =>
    list.map((p) => (
      <option key={p.id} value={p.id}>
        {p.name} ({p.kind === 'shared' ? 'shared' : 'dedicated'})
      </option>
    ));
  return (
    <>
      <form
        class="inline-form"
        aria-label={`Move the Bridges of ${account.name} to another Pool`}
        onSubmit={(e) => {
          e.preventDefault();
          setAsking(true);
        }}
      >
        <label>
          Move Bridges from
          <select required value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
            <option value="">Pool…</option>
            {options(pools)}
          </select>
        </label>
        <label>
          to
          <select required value={to} onChange={(e) => setTo(e.currentTarget.value)}>
            <option value="">Pool…</option>
            {options(usable.filter((p) => p.id !== from))}
          </select>
        </label>
        <button type="submit">Move Bridges</button>
      </form>
      {asking && (
        <ConfirmDialog
          title={`Move the Bridges of ${account.name} from ${nameOf(from)} to ${nameOf(to)}?`}
          text={
            'Their credentials and code stay the same. ' +
            `Mail accepted from now on leaves from ${nameOf(to)}'s IPs; ` +
            `mail already accepted finishes from ${nameOf(from)}'s.`
          }
          confirm="Move Bridges"
          onClose={() => setAsking(false)}
          onConfirm={() =>
            run(
              async () => {
                const moved = await api<{ bridgeIds: string[] }>('POST', `/admin/v1/accounts/${account.id}/rebind`, {
                  from,
                  to,
                });
                setFrom('');
                setTo('');
                return moved;
              },
              `${account.name}: Bridges moved from ${nameOf(from)} to ${nameOf(to)}`,
            )
          }
        />
      )}
    </>
  );
}
