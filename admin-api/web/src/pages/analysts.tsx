import { useState } from 'preact/hooks';
import { api, utc, type Analyst, type AnalystList } from '../api.js';
import { ConfirmDialog, ErrorText, Loading, Notice, PageTitle, useAsync, ValueField } from '../ui.js';

/** A credential just created: its secret, shown this once, and a first query to try it with. */
interface Created {
  name: string;
  secret: string;
}

/** Analysts' credentials of the read-only SQL endpoint: where it listens, create (secret shown once), revoke. */
export function AnalystsPage() {
  const list = useAsync(() => api<AnalystList>('GET', '/admin/v1/analysts'), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Created>();
  const [revoking, setRevoking] = useState<Analyst>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const endpoint = list.data?.endpoint;
  const origin = endpoint ? `http://${endpoint.host}:${endpoint.port}` : '';
  return (
    <section>
      <PageTitle>Analysts (SQL)</PageTitle>
      <p>
        Analysts query the events with their own tools (ClickHouse clients, curl, Grafana, Metabase) through a read-only
        ClickHouse HTTP interface. Each credential below is a user name and a secret for it.
      </p>
      {list.data && (
        <p data-testid="sql-endpoint">
          {endpoint ? (
            <>
              SQL endpoint: <code>{origin}</code>, database <code>bridgemail</code>.
            </>
          ) : (
            <>
              The SQL endpoint is off: start the platform with <code>BRIDGEMAIL_SQL_PORT</code> set (with a ClickHouse
              server, analysts query that server instead).
            </>
          )}
        </p>
      )}
      <Notice text={notice} />
      <ErrorText error={error ?? list.error} />
      <form
        class="inline-form"
        aria-label="Create analyst credential"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const made = await api<Analyst & { secret: string }>('POST', '/admin/v1/analysts', { name: name.trim() });
            setCreated({ name: made.name, secret: made.secret });
            setNotice(`Analyst ${made.name} created`);
            setError(undefined);
            setName('');
            list.reload();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          User name
          <input
            required
            maxLength={64}
            pattern="[A-Za-z0-9_.\-]{1,64}"
            title="1 to 64 of A-Z, a-z, 0-9, _, . and -"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary">
          Create credential
        </button>
      </form>
      {created && (
        <section aria-labelledby="created-h" class="card">
          <h2 id="created-h">Secret of {created.name}</h2>
          <p>Shown this once: it is stored as a hash. Copy it now.</p>
          <ValueField label="Secret" value={created.secret} secret />
          {endpoint && (
            <ValueField
              label="First query"
              value={
                `curl -u ${created.name}:<secret> '${origin}/?default_format=JSONEachRow' ` +
                `--data-binary 'SELECT type, count() AS n FROM bridgemail.events GROUP BY type'`
              }
            />
          )}
        </section>
      )}
      {list.loading && <Loading what="analysts" />}
      {list.data && list.data.data.length === 0 && <p>No analyst credentials yet.</p>}
      {list.data && list.data.data.length > 0 && (
        <table>
          <caption class="visually-hidden">Analyst credentials</caption>
          <thead>
            <tr>
              <th scope="col">User name</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((a) => (
              <tr key={a.id} data-testid="analyst-row">
                <td class="mono">{a.name}</td>
                <td>{utc(a.createdAt)}</td>
                <td>
                  <button type="button" class="small danger" onClick={() => setRevoking(a)}>
                    Revoke<span class="visually-hidden"> {a.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke analyst ${revoking.name}?`}
          text="Its next query is refused; tools using it stop working."
          confirm="Revoke credential"
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await api('DELETE', `/admin/v1/analysts/${revoking.id}`);
            setNotice(`Analyst ${revoking.name} revoked`);
            if (created?.name === revoking.name) setCreated(undefined);
            list.reload();
          }}
        />
      )}
    </section>
  );
}
