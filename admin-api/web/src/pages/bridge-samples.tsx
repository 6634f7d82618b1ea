import { useState } from 'preact/hooks';
import { api, type Sample } from '../api.js';
import { CopyButton, ErrorText, Tabs, useAsync } from '../ui.js';

const REST: [Sample['language'], string][] = [
  ['curl', 'cURL'],
  ['php', 'PHP'],
  ['node', 'Node'],
  ['python', 'Python'],
  ['bash', 'Bash'],
];
const SMTP: [Sample['language'], string][] = [
  ['phpmailer', 'PHPMailer'],
  ['nodemailer', 'Nodemailer'],
  ['smtplib', 'Python smtplib'],
  ['swaks', 'swaks'],
];
/** What a hidden secret reads as: the same dots a password field shows. */
const MASK = '••••••••';

/** `code` with every occurrence of each secret replaced by {@link MASK}. */
function masked(code: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s !== '').reduce((text, secret) => text.replaceAll(secret, MASK), code);
}

/**
 * The Bridge's code samples, REST and SMTP, in tabs. The API key and SMTP password they hold read
 * as dots until "Show secrets", like the credential fields above; Copy always copies the real code.
 */
export function SamplesCard({ id, secrets }: { id: string; secrets: readonly string[] }) {
  const samples = useAsync(() => api<{ data: Sample[] }>('GET', `/admin/v1/bridges/${id}/samples`), [id]);
  const [shown, setShown] = useState(false);
  const group = (transport: Sample['transport'], label: string, languages: [Sample['language'], string][]) => (
    <Tabs
      label={label}
      tabs={languages.map(([lang, title]) => ({
        id: lang,
        title,
        content: samples.data?.data
          .filter((s) => s.transport === transport && s.language === lang)
          .map((s) => (
            <figure key={`${lang}-${s.variant}`}>
              <figcaption>
                {s.title} <span class="mono">({s.filename})</span>{' '}
                <CopyButton text={s.code} label={`${title} ${s.variant} sample`} />
              </figcaption>
              <pre tabIndex={0}>
                <code>{shown ? s.code : masked(s.code, secrets)}</code>
              </pre>
            </figure>
          )),
      }))}
    />
  );
  return (
    <section aria-labelledby="samples-h" class="card">
      <div class="title-row">
        <h2 id="samples-h">Code samples</h2>
        <button type="button" class="small" aria-pressed={shown} onClick={() => setShown(!shown)}>
          {shown ? 'Hide secrets' : 'Show secrets'}
        </button>
      </div>
      <ErrorText error={samples.error} />
      {samples.data && (
        <>
          <h3>REST API (API key)</h3>
          {group('rest', 'REST sample language', REST)}
          <h3>SMTP (username and password)</h3>
          {group('smtp', 'SMTP sample library', SMTP)}
        </>
      )}
    </section>
  );
}
