import { useState } from 'preact/hooks';
import { api, type Suppression } from '../api.js';
import { ErrorText, Notice, PageTitle, useAsync } from '../ui.js';

/** The suppression list: search, add, remove, import (CSV), export. */
export function SuppressionsPage() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const list = useAsync(
    () =>
      api<{ data: Suppression[] }>(
        'GET',
        `/admin/v1/suppressions?limit=200${query ? `&search=${encodeURIComponent(query)}` : ''}`,
      ),
    [query],
  );
  const [address, setAddress] = useState('');
  const [csv, setCsv] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const run = async (fn: () => Promise<string>) => {
    try {
      setNotice(await fn());
      setError(undefined);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <PageTitle>Suppression list</PageTitle>
      <Notice text={notice} />
      <ErrorText error={error ?? list.error} />
      <form
        class="inline-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(search.trim());
        }}
      >
        <label>
          Search address
          <input type="search" maxLength={320} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
        <a class="button" href="/admin/v1/suppressions/export" download>
          Export CSV
        </a>
      </form>
      <form
        class="inline-form"
        aria-label="Suppress an address"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api('POST', '/admin/v1/suppressions', { address: address.trim() });
            setAddress('');
            return `${address.trim()} suppressed for every Bridge`;
          });
        }}
      >
        <label>
          Address to suppress
          <input
            type="email"
            required
            maxLength={320}
            value={address}
            onInput={(e) => setAddress(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Suppress</button>
      </form>
      <table>
        <caption class="visually-hidden">Suppressed addresses</caption>
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col">Reason</th>
            <th scope="col">Bridge</th>
            <th scope="col">Since</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.data.map((s) => (
            <tr key={s.id}>
              <th scope="row" class="mono">
                {s.address}
              </th>
              <td>{s.reason}</td>
              <td>{s.bridgeId ?? 'every Bridge'}</td>
              <td>{new Date(s.createdAt).toLocaleString()}</td>
              <td>
                <button
                  type="button"
                  class="small"
                  aria-label={`Remove suppression of ${s.address}`}
                  onClick={() =>
                    void run(async () => {
                      await api('DELETE', `/admin/v1/suppressions/${s.id}`);
                      return `${s.address} may be sent to again`;
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.data.length === 0 && <p>No suppressed addresses{query ? ' match' : ''}.</p>}
      <form
        class="stack"
        aria-label="Import suppressions"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await api<{ imported: number; existing: number; errors: { line: number; message: string }[] }>(
              'POST',
              '/admin/v1/suppressions/import',
              csv,
              'text/csv',
            );
            setCsv('');
            return `Imported ${r.imported}, already there ${r.existing}${r.errors.length ? `, ${r.errors.length} bad lines (first: line ${r.errors[0]?.line}: ${r.errors[0]?.message})` : ''}`;
          });
        }}
      >
        <label>
          Import CSV (address[,reason[,bridge_id]] per line)
          <textarea rows={4} value={csv} onInput={(e) => setCsv(e.currentTarget.value)} />
        </label>
        <label>
          Or choose a CSV file
          <input
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={async (e) => setCsv((await e.currentTarget.files?.[0]?.text()) ?? '')}
          />
        </label>
        <button type="submit">Import</button>
      </form>
    </section>
  );
}
