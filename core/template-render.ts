import Mustache from 'mustache';
import { AppError } from './errors.js';

/**
 * Templates are Mustache (mustache.js): the syntax Postmark's templates use, and logic-less, so a
 * template can only substitute values and repeat or skip sections, never run code. `{{name}}` is
 * HTML-escaped in `html`; `{{{name}}}` (or `{{& name}}`) inserts the value as is. `subject` and
 * `text` are never escaped, and a subject's line breaks become spaces so a value cannot add
 * header fields.
 */

/** The three fields of a template that are rendered. */
export const TEMPLATE_FIELDS = ['subject', 'html', 'text'] as const;

/** One of {@link TEMPLATE_FIELDS}. */
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** What a template renders: a subject and at least one of html and text. */
export interface TemplateContent {
  subject: string;
  html: string | null;
  text: string | null;
}

/** A model: the values a template is rendered with (a JSON object). */
export type TemplateModel = Record<string, unknown>;

/** Limits on templates and models. */
export const TEMPLATE_LIMITS = {
  nameChars: 200,
  subjectChars: 2000,
  /** html and text, each. */
  bodyChars: 512 * 1024,
  /** A model, as JSON. */
  modelBytes: 32 * 1024,
} as const;

/** Alias syntax: 1 to 64 of `[a-z0-9-_]`. */
export const TEMPLATE_ALIAS = /^[a-z0-9_-]{1,64}$/;

type Token = [string, string, number, number, Token[]?, ...unknown[]];

const identity = (value: string): string => value;

/** Line and column (1-based) of a character offset in a text. */
function position(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/**
 * Where a section left open begins: mustache.js reports the end of the template for it, the last
 * `{{#name}}` (or `{{^name}}`) is where the author has to look. Undefined for other errors.
 */
function opening(source: string, message: string): number | undefined {
  const name = /^Unclosed section "(.*)" at \d+$/.exec(message)?.[1];
  if (name === undefined) return undefined;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = [...source.matchAll(new RegExp(`\\{\\{\\s*[#^]\\s*${escaped}\\s*\\}\\}`, 'g'))].pop();
  return found?.index;
}

function parse(field: TemplateField, source: string): Token[] {
  try {
    return Mustache.parse(source) as unknown as Token[];
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const at = / at (\d+)$/.exec(text);
    const where = position(source, opening(source, text) ?? (at ? Number(at[1]) : 0));
    throw new AppError(
      'TEMPLATE_INVALID',
      `${field}: ${text.replace(/ at \d+$/, '')} (line ${where.line}, column ${where.column})`,
      { field, details: where, cause: err },
    );
  }
}

/** Refuses partials: no partial is ever registered, so `{{> name}}` would render nothing. */
function refusePartials(field: TemplateField, source: string, tokens: Token[]): void {
  for (const token of tokens) {
    if (token[0] === '>') {
      const where = position(source, token[2]);
      throw new AppError(
        'TEMPLATE_INVALID',
        `${field}: partials ({{> ${token[1]}}}) are not supported (line ${where.line}, column ${where.column})`,
        { field, details: where },
      );
    }
    if (token[4]) refusePartials(field, source, token[4]);
  }
}

/** Checks that every field compiles; throws `TEMPLATE_INVALID` naming the field, line and column. */
export function compileTemplate(content: Partial<TemplateContent>): void {
  for (const field of TEMPLATE_FIELDS) {
    const source = content[field];
    if (typeof source === 'string') refusePartials(field, source, parse(field, source));
  }
}

/** Renders a template with a model: html escaped, subject and text not; the subject on one line. */
export function renderTemplate(content: TemplateContent, model: TemplateModel): TemplateContent {
  const raw = (source: string) => Mustache.render(source, model, {}, { escape: identity });
  return {
    subject: raw(content.subject)
      .replace(/[\r\n\0]+/g, ' ')
      .trim(),
    html: content.html === null ? null : Mustache.render(content.html, model),
    text: content.text === null ? null : raw(content.text),
  };
}

/** Mustache's lookup of a (dotted) name through a stack of contexts, innermost last. */
function lookup(stack: readonly unknown[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1];
  const parts = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    let value: unknown = stack[i];
    let found = true;
    for (const part of parts) {
      if (value !== null && typeof value === 'object' && part in value) {
        value = (value as Record<string, unknown>)[part];
      } else {
        found = false;
        break;
      }
    }
    if (found) return value;
  }
  return undefined;
}

function walk(tokens: Token[], stack: unknown[], prefix: string, missing: Set<string>): void {
  for (const token of tokens) {
    const [type, name] = token;
    if (type !== 'name' && type !== '&' && type !== '#' && type !== '^') continue;
    const value = lookup(stack, name);
    if (value === undefined) missing.add(prefix + name);
    const inner = token[4] ?? [];
    const path = `${prefix}${name}.`;
    if (type === '^') {
      if (!value || (Array.isArray(value) && value.length === 0)) walk(inner, stack, path, missing);
    } else if (type === '#' && value) {
      if (Array.isArray(value)) for (const item of value) walk(inner, [...stack, item], path, missing);
      else walk(inner, [...stack, value], path, missing);
    }
  }
}

/**
 * The variables a model does not provide, in the order the template first uses them (subject,
 * html, text); a name inside a section is prefixed with the section's, e.g. `items.price`. A
 * section the model leaves out is listed once, not its contents.
 */
export function missingVariables(content: Partial<TemplateContent>, model: TemplateModel): string[] {
  const missing = new Set<string>();
  for (const field of TEMPLATE_FIELDS) {
    const source = content[field];
    if (typeof source === 'string') walk(parse(field, source), [model], '', missing);
  }
  return [...missing];
}
