import { useRef, useState } from 'preact/hooks';
import { api, ApiError, utc, type Bridge, type RenderedTemplate, type Template } from '../api.js';
import { ConfirmDialog, ErrorText, Loading, Notice, PageTitle, useAsync } from '../ui.js';

type Fields = Pick<Template, 'name' | 'alias' | 'subject' | 'bridgeId'> & { html: string; text: string };

const EMPTY: Fields = { name: '', alias: '', subject: '', html: '', text: '', bridgeId: null };

const LABELS = { subject: 'Subject', html: 'HTML', text: 'Text' } as const;

/** Templates (Mustache): list, create and edit (compile errors shown at their line), preview, delete. */
export function TemplatesPage() {
  const templates = useAsync(() => api<{ data: Template[] }>('GET', '/admin/v1/templates'), []);
  const bridges = useAsync(() => api<{ data: Bridge[] }>('GET', '/admin/v1/bridges'), []);
  const [editing, setEditing] = useState<Template | 'new'>();
  const [deleting, setDeleting] = useState<Template>();
  const [notice, setNotice] = useState<string>();
  const bridgeName = (id: string | null) =>
    id === null ? 'every Bridge' : (bridges.data?.data.find((b) => b.id === id)?.name ?? id);
  return (
    <section>
      <PageTitle>Templates</PageTitle>
      <Notice text={notice} />
      <ErrorText error={templates.error} />
      <p class="hint">
        Mustache: <code>{'{{name}}'}</code> is HTML-escaped in the HTML body, <code>{'{{{name}}}'}</code> is not;
        subject and text are never escaped. Send with <code>templateAlias</code> and <code>templateModel</code>, or over
        SMTP with the <code>X-Bridgemail-Template</code> header.
      </p>
      <button type="button" class="primary" onClick={() => setEditing('new')}>
        New template
      </button>
      {templates.data && templates.data.data.length > 0 && (
        <table>
          <caption class="visually-hidden">Templates</caption>
          <thead>
            <tr>
              <th scope="col">Alias</th>
              <th scope="col">Name</th>
              <th scope="col">Used by</th>
              <th scope="col">Updated (UTC)</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {templates.data.data.map((t) => (
              <tr key={t.id} data-testid="template-row">
                <th scope="row" class="mono">
                  {t.alias}
                </th>
                <td>{t.name}</td>
                <td>{bridgeName(t.bridgeId)}</td>
                <td>{utc(t.updatedAt)}</td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Edit template ${t.alias}`}
                    onClick={() => setEditing(t)}
                  >
                    Edit
                  </button>{' '}
                  <button
                    type="button"
                    class="small danger"
                    aria-label={`Delete template ${t.alias}`}
                    onClick={() => setDeleting(t)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {templates.loading && <Loading what="templates" />}
      {templates.data?.data.length === 0 && <p>No templates yet.</p>}
      {editing && (
        <TemplateEditor
          key={editing === 'new' ? 'new' : editing.id}
          template={editing === 'new' ? undefined : editing}
          bridges={bridges.data?.data.filter((b) => b.status === 'active') ?? []}
          onSaved={(t, created) => {
            setNotice(`Template ${t.alias} ${created ? 'created' : 'saved'}`);
            setEditing(t);
            templates.reload();
          }}
          onClose={() => setEditing(undefined)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete template ${deleting.alias}?`}
          text="Sends that name it are refused from then on."
          confirm="Delete template"
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api('DELETE', `/admin/v1/templates/${deleting.id}`);
            if (editing !== 'new' && editing?.id === deleting.id) setEditing(undefined);
            setNotice(`Template ${deleting.alias} deleted`);
            templates.reload();
          }}
        />
      )}
    </section>
  );
}

/** Character offset of a 1-based line and column in a text. */
function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  return lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
}

function TemplateEditor({
  template,
  bridges,
  onSaved,
  onClose,
}: {
  template: Template | undefined;
  bridges: Bridge[];
  onSaved: (t: Template, created: boolean) => void;
  onClose: () => void;
}) {
  const [fields, setFields] = useState<Fields>(
    template ? { ...template, html: template.html ?? '', text: template.text ?? '' } : EMPTY,
  );
  const [error, setError] = useState<unknown>();
  const refs = {
    subject: useRef<HTMLInputElement>(null),
    html: useRef<HTMLTextAreaElement>(null),
    text: useRef<HTMLTextAreaElement>(null),
  };
  const set = (key: keyof Fields) => (e: { currentTarget: { value: string } }) =>
    setFields({ ...fields, [key]: e.currentTarget.value });
  const compileError =
    error instanceof ApiError && error.code === 'TEMPLATE_INVALID' && error.field && error.field in LABELS
      ? { field: error.field as keyof typeof LABELS, position: error.position }
      : undefined;
  const invalid = (field: keyof typeof LABELS) => compileError?.field === field;
  const save = async () => {
    const body = {
      name: fields.name.trim(),
      alias: fields.alias.trim(),
      subject: fields.subject,
      html: fields.html === '' ? null : fields.html,
      text: fields.text === '' ? null : fields.text,
      bridgeId: fields.bridgeId,
    };
    try {
      const saved = template
        ? await api<Template>('PATCH', `/admin/v1/templates/${template.id}`, body)
        : await api<Template>('POST', '/admin/v1/templates', body);
      setError(undefined);
      onSaved(saved, !template);
    } catch (err) {
      setError(err);
      // Put the caret where the template stops compiling.
      if (err instanceof ApiError && err.code === 'TEMPLATE_INVALID' && err.position && err.field) {
        const el = refs[err.field as keyof typeof refs]?.current;
        if (el) {
          const at = offsetOf(el.value, err.position.line, err.position.column);
          el.focus();
          el.setSelectionRange(at, at);
        }
      }
    }
  };
  const title = template ? `Edit template ${template.alias}` : 'New template';
  return (
    <section class="card" aria-labelledby="template-editor">
      <div class="title-row">
        <h2 id="template-editor">{title}</h2>
        <button type="button" class="small" onClick={onClose}>
          Close editor
        </button>
      </div>
      <form
        class="stack"
        aria-labelledby="template-editor"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div class="inline-form">
          <label>
            Name
            <input required maxLength={200} value={fields.name} onInput={set('name')} />
          </label>
          <label>
            Alias
            <input
              required
              pattern="[a-z0-9_\-]{1,64}"
              maxLength={64}
              class="mono"
              value={fields.alias}
              onInput={set('alias')}
            />
          </label>
          <label>
            Used by
            <select
              value={fields.bridgeId ?? ''}
              onChange={(e) => setFields({ ...fields, bridgeId: e.currentTarget.value || null })}
            >
              <option value="">Every Bridge</option>
              {bridges.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          Subject
          <input
            ref={refs.subject}
            required
            maxLength={2000}
            class="mono"
            value={fields.subject}
            onInput={set('subject')}
            aria-invalid={invalid('subject')}
            aria-describedby={invalid('subject') ? 'template-compile-error' : undefined}
          />
        </label>
        <label>
          HTML
          <textarea
            ref={refs.html}
            rows={8}
            class="mono"
            value={fields.html}
            onInput={set('html')}
            aria-invalid={invalid('html')}
            aria-describedby={invalid('html') ? 'template-compile-error' : undefined}
          />
        </label>
        <label>
          Text
          <textarea
            ref={refs.text}
            rows={5}
            class="mono"
            value={fields.text}
            onInput={set('text')}
            aria-invalid={invalid('text')}
            aria-describedby={invalid('text') ? 'template-compile-error' : undefined}
          />
        </label>
        {compileError ? (
          <p role="alert" class="error" id="template-compile-error">
            {LABELS[compileError.field]} does not compile
            {compileError.position &&
              ` at line ${compileError.position.line}, column ${compileError.position.column}`}:{' '}
            {(error as ApiError).message}
          </p>
        ) : (
          <ErrorText error={error} />
        )}
        <div class="actions">
          <button type="submit" class="primary">
            {template ? 'Save template' : 'Create template'}
          </button>
        </div>
      </form>
      {template && <TemplatePreview template={template} />}
    </section>
  );
}

function TemplatePreview({ template }: { template: Template }) {
  const [model, setModel] = useState('{}');
  const [result, setResult] = useState<RenderedTemplate>();
  const [error, setError] = useState<unknown>();
  const preview = async () => {
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(model);
      } catch {
        throw new Error('The model is not valid JSON');
      }
      setResult(await api<RenderedTemplate>('POST', `/admin/v1/templates/${template.id}/render`, { model: parsed }));
      setError(undefined);
    } catch (err) {
      setResult(undefined);
      setError(err);
    }
  };
  return (
    <section aria-labelledby="template-preview" class="stack">
      <h3 id="template-preview">Preview the saved template</h3>
      <form
        class="stack"
        aria-labelledby="template-preview"
        onSubmit={(e) => {
          e.preventDefault();
          void preview();
        }}
      >
        <label>
          Model (JSON)
          <textarea rows={5} class="mono" value={model} onInput={(e) => setModel(e.currentTarget.value)} />
        </label>
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit">Preview</button>
        </div>
      </form>
      {result && (
        <div class="stack" data-testid="template-preview">
          <p role="status" data-testid="missing-variables">
            {result.missing.length === 0
              ? 'The model provides every variable.'
              : `Missing variables: ${result.missing.join(', ')}`}
          </p>
          <dl>
            <dt>Subject</dt>
            <dd class="mono">{result.subject}</dd>
            {result.html !== null && (
              <>
                <dt>HTML (source)</dt>
                <dd>
                  <pre>{result.html}</pre>
                </dd>
              </>
            )}
            {result.text !== null && (
              <>
                <dt>Text</dt>
                <dd>
                  <pre>{result.text}</pre>
                </dd>
              </>
            )}
          </dl>
        </div>
      )}
    </section>
  );
}
