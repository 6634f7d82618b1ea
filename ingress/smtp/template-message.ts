import MailComposer from 'nodemailer/lib/mail-composer';
import { AppError, headerBlock, parseTemplateModel, TEMPLATE_ALIAS, type TemplateRenderer } from '../../core/index.js';

/** Names the template an SMTP submission is rendered with (by alias). */
export const TEMPLATE_HEADER = 'x-bridgemail-template';
/** The model, a JSON object (folding allowed between JSON tokens), at most 32 KB. */
export const TEMPLATE_MODEL_HEADER = 'x-bridgemail-template-model';

/** Fields of the composed message that replace the submitted ones. */
const COMPOSED_FIELDS = new Set(['subject', 'mime-version', 'content-type', 'content-transfer-encoding']);

/** A header block split into fields, each with its folded continuation lines. */
function fieldsOf(headerText: string): string[] {
  const fields: string[] = [];
  for (const line of headerText.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  return fields;
}

const nameOf = (field: string): string => {
  const colon = field.indexOf(':');
  return colon === -1 ? '' : field.slice(0, colon).trim().toLowerCase();
};

/** A field's value unfolded (RFC 5322 §2.2.3: line breaks removed), read as UTF-8. */
const valueOf = (field: string): string =>
  Buffer.from(field.slice(field.indexOf(':') + 1).replace(/\r?\n/g, ''), 'latin1')
    .toString('utf8')
    .trim();

function single(fields: string[], name: string): string | undefined {
  const found = fields.filter((f) => nameOf(f) === name);
  if (found.length > 1) throw new AppError('TEMPLATE_MODEL_INVALID', `more than one ${name} header field`);
  return found[0] === undefined ? undefined : valueOf(found[0]);
}

/**
 * A submission naming a template (`X-Bridgemail-Template: <alias>`, model in
 * `X-Bridgemail-Template-Model`) rebuilt with the rendered subject, html and text in place of its
 * Subject and body; every other header field (From, To, Reply-To, custom ones) is kept. A message
 * without the header comes back as the very same Buffer.
 */
export async function applyTemplate(
  raw: Buffer,
  bridge: { id: string; accountId: string },
  templates: TemplateRenderer,
): Promise<Buffer> {
  const headerText = headerBlock(raw);
  if (!headerText.toLowerCase().includes(TEMPLATE_HEADER)) return raw;
  const fields = fieldsOf(headerText);
  const alias = single(fields, TEMPLATE_HEADER);
  const modelText = single(fields, TEMPLATE_MODEL_HEADER);
  if (alias === undefined) {
    if (modelText === undefined) return raw;
    throw new AppError('TEMPLATE_MODEL_INVALID', 'X-Bridgemail-Template-Model needs X-Bridgemail-Template');
  }
  if (!TEMPLATE_ALIAS.test(alias))
    throw new AppError('TEMPLATE_NOT_FOUND', 'X-Bridgemail-Template: not a template alias (a-z, 0-9, - and _)');
  const model = modelText === undefined ? {} : parseTemplateModel(modelText);
  const out = await templates.render(bridge, { alias }, model, 'X-Bridgemail-Template');
  const composed = await new MailComposer({
    subject: out.subject,
    html: out.html ?? undefined,
    text: out.text ?? undefined,
  })
    .compile()
    .build();
  const composedHead = headerBlock(composed);
  const kept = fields.filter((f) => {
    const name = nameOf(f);
    return (
      name !== TEMPLATE_HEADER &&
      name !== TEMPLATE_MODEL_HEADER &&
      !COMPOSED_FIELDS.has(name) &&
      !name.startsWith('content-')
    );
  });
  const replaced = fieldsOf(composedHead).filter((f) => COMPOSED_FIELDS.has(nameOf(f)));
  const head = [...kept, ...replaced].map((f) => (f.endsWith('\n') ? f : `${f}\r\n`)).join('');
  return Buffer.concat([Buffer.from(head, 'latin1'), composed.subarray(composedHead.length)]);
}
