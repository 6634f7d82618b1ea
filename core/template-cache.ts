import { AppError } from './errors.js';
import type { Template, TemplateStore } from './store/index.js';
import { renderTemplate, TEMPLATE_LIMITS, type TemplateContent, type TemplateModel } from './template-render.js';
import { TtlCache } from './ttl-cache.js';

/** How a send names its template. */
export type TemplateRef = { alias: string } | { id: string };

/** What the ingresses render sends with: a template by alias or id, for one Bridge. */
export interface TemplateRenderer {
  /**
   * Renders the template named by `ref` with `model`. Throws `TEMPLATE_NOT_FOUND` (with `field`)
   * when no such template exists, it is another account's, or it is bound to another Bridge.
   */
  render(
    bridge: { id: string; accountId: string },
    ref: TemplateRef,
    model: TemplateModel,
    field: string,
  ): Promise<TemplateContent>;
}

/**
 * Templates by alias and id, cached in process so a warm alias costs no query per message.
 * Templates change rarely: every `template-changed` announcement {@link clear}s the whole cache
 * (lookups of unknown names are cached too, so a created template must clear it as well).
 */
export class TemplateCache implements TemplateRenderer {
  readonly #entries: TtlCache<Template | undefined>;

  /** @param ttlMs backstop lifetime should an announcement be missed. @defaultValue 30000 */
  constructor(store: Pick<TemplateStore, 'getTemplate' | 'getTemplateByAlias'>, ttlMs = 30_000) {
    // Keys: `a:<accountId>:<alias>` (aliases are unique within an account) or `i:<id>`.
    this.#entries = new TtlCache((key) => {
      if (!key.startsWith('a:')) return store.getTemplate(key.slice(2));
      const [accountId = '', alias = ''] = key.slice(2).split(':');
      return store.getTemplateByAlias(alias, accountId);
    }, ttlMs);
  }

  /** The template, or undefined when none has this id, or this alias in the account. */
  get(ref: TemplateRef, accountId: string): Promise<Template | undefined> {
    return this.#entries.get('alias' in ref ? `a:${accountId}:${ref.alias}` : `i:${ref.id}`);
  }

  async render(
    bridge: { id: string; accountId: string },
    ref: TemplateRef,
    model: TemplateModel,
    field: string,
  ): Promise<TemplateContent> {
    const template = await this.get(ref, bridge.accountId);
    if (
      !template ||
      template.accountId !== bridge.accountId ||
      (template.bridgeId !== null && template.bridgeId !== bridge.id)
    ) {
      const name = 'alias' in ref ? ref.alias : ref.id;
      throw new AppError('TEMPLATE_NOT_FOUND', `no template ${name} for this Bridge`, { field });
    }
    return renderTemplate(template, model);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Parses a model given as JSON text (the SMTP header): a JSON object of at most
 * {@link TEMPLATE_LIMITS.modelBytes}; throws `TEMPLATE_MODEL_INVALID` otherwise.
 */
export function parseTemplateModel(json: string): TemplateModel {
  if (Buffer.byteLength(json) > TEMPLATE_LIMITS.modelBytes)
    throw new AppError('TEMPLATE_MODEL_INVALID', `the template model exceeds ${TEMPLATE_LIMITS.modelBytes} bytes`);
  let model: unknown;
  try {
    model = JSON.parse(json);
  } catch {
    throw new AppError('TEMPLATE_MODEL_INVALID', 'the template model is not valid JSON');
  }
  if (model === null || typeof model !== 'object' || Array.isArray(model))
    throw new AppError('TEMPLATE_MODEL_INVALID', 'the template model must be a JSON object');
  return model as TemplateModel;
}
