import { useState } from 'preact/hooks';
import { api, utc, type Bridge, type Suppression } from '../api.js';
import { ErrorText, Loading, Notice, PageTitle, useAsync } from '../ui.js';

/** A line of a CSV import that was not imported, as `POST /admin/v1/suppressions/import` reports it. */
interface ImportLineError {
  /** 1-based line number in the CSV. */
  line: number;
  /** The CSV column at fault, when one is. */
  field?: 'address' | 'reason' | 'bridge_id';
  message: string;
}

/** What `POST /admin/v1/suppressions/import` answers. */
interface ImportResult {
  imported: number;
  existing: number;
  errors: ImportLineError[];
}

/** A bad line as the operator sees it: its number, column, the API's reason and the line's own text. */
interface BadLine extends ImportLineError {
  text: string;
}

/** Longest piece of a bad line's text shown next to its error. */
const LINE_TEXT_MAX = 120;

/** The lines the last import left out, one per row: line number, column, reason, the line itself. */
function ImportErrors({ lines }: { lines: BadLine[] }) {
  if (lines.length === 0) return null;
  return (
    <section aria-labelledby="import-errors-title" class="import-errors">
      <h2 id="import-errors-title">{lines.length === 1 ? '1 line' : `${lines.length} lines`} not imported</h2>
      <ul data-testid="import-errors">
        {lines.map((l) => (
          <li key={l.line}>
            <strong>Line {l.line}</strong>
            {l.field ? (
              <>
                , column <code>{l.field}</code>
              </>
            ) : null}
            : {l.message}
            {l.text ? (
              <>
                {' — '}
                <code class="import-line">
                  {l.text.length > LINE_TEXT_MAX ? `${l.text.slice(0, LINE_TEXT_MAX)}…` : l.text}
                </code>
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

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
  // Names for the Bridge column; deleted Bridges too, their suppressions stay listed.
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges?include=deleted'), []);
  const bridgeName = (id: string) => bridges.data?.data.find((b) => b.id === id)?.name;
  const [address, setAddress] = useState('');
  const [csv, setCsv] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [badLines, setBadLines] = useState<BadLine[]>([]);
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
            <th scope="col">Since (UTC)</th>
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
              <td data-testid="suppression-bridge">
                {s.bridgeId === null ? (
                  'every Bridge'
                ) : (
                  <a href={`#/bridges/${s.bridgeId}`}>{bridgeName(s.bridgeId) ?? s.bridgeId}</a>
                )}
              </td>
              <td>
                <time dateTime={s.createdAt}>{utc(s.createdAt)}</time>
              </td>
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
      {list.loading && <Loading what="suppressions" />}
      {list.data?.data.length === 0 && <p>No suppressed addresses{query ? ' match' : ''}.</p>}
      <form
        class="stack"
        aria-label="Import suppressions"
        onSubmit={(e) => {
          e.preventDefault();
          setBadLines([]);
          void run(async () => {
            const r = await api<ImportResult>('POST', '/admin/v1/suppressions/import', csv, 'text/csv');
            // The API numbers lines as they were sent; keep their text, the field is cleared below.
            const sent = csv.split(/\r?\n/);
            setBadLines(r.errors.map((e) => ({ ...e, text: sent[e.line - 1]?.trim() ?? '' })));
            setCsv('');
            const bad = r.errors.length;
            const left = bad
              ? `, ${bad} ${bad === 1 ? 'line' : 'lines'} not imported (listed under the import form)`
              : '';
            return `Imported ${r.imported}, already there ${r.existing}${left}`;
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
      <ImportErrors lines={badLines} />
    </section>
  );
}
