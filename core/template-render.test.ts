import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { compileTemplate, missingVariables, renderTemplate } from './template-render.js';

const hostile = `<b>"Tom" & 'Jerry'</b>`;

describe('renderTemplate', () => {
  it('escapes {{x}} in html only; {{{x}}} is raw; subject and text are never escaped', () => {
    const out = renderTemplate(
      { subject: 'Hi {{name}}', html: '<p>{{name}}</p><div>{{{name}}}</div>', text: 'Hi {{name}}' },
      { name: hostile },
    );
    expect(out.subject).toBe(`Hi ${hostile}`);
    expect(out.text).toBe(`Hi ${hostile}`);
    expect(out.html).toBe(`<p>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;&#x2F;b&gt;</p><div>${hostile}</div>`);
  });

  it('puts a subject on one line whatever the model holds', () => {
    const out = renderTemplate(
      { subject: 'Order {{id}}', html: null, text: 'x' },
      { id: '1\r\nBcc: victim@example.com\n' },
    );
    expect(out.subject).toBe('Order 1 Bcc: victim@example.com');
    expect(out.subject).not.toMatch(/[\r\n]/);
    expect(out.html).toBeNull();
  });

  it('repeats sections over lists and follows dotted names', () => {
    const out = renderTemplate(
      { subject: '{{user.name}}', html: null, text: '{{#items}}[{{sku}}x{{qty}}]{{/items}}{{^none}}!{{/none}}' },
      {
        user: { name: 'Ann' },
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 2 },
        ],
      },
    );
    expect(out).toEqual({ subject: 'Ann', html: null, text: '[ax1][bx2]!' });
  });
});

describe('missingVariables', () => {
  it('lists what the model leaves out, dotted and inside sections, once each', () => {
    const content = {
      subject: 'Hi {{name}} {{user.email}}',
      html: '{{#items}}{{sku}} {{price}}{{/items}}{{#coupon}}{{code}}{{/coupon}}{{name}}',
      text: '{{^vip}}{{upgradeUrl}}{{/vip}} {{user.name}}',
    };
    const model = { user: { name: 'Ann' }, items: [{ sku: 'a', price: 1 }, { sku: 'b' }] };
    expect(missingVariables(content, model)).toEqual([
      'name',
      'user.email',
      'items.price',
      'coupon',
      'vip',
      'vip.upgradeUrl',
    ]);
  });

  it('is empty when everything is provided (outer names resolve inside sections)', () => {
    expect(
      missingVariables({ subject: '{{a}}', html: '{{#list}}{{a}}{{.}}{{/list}}', text: null }, { a: 1, list: [1] }),
    ).toEqual([]);
  });
});

describe('compileTemplate', () => {
  const fail = (content: Parameters<typeof compileTemplate>[0]) => {
    try {
      compileTemplate(content);
    } catch (err) {
      return err as AppError;
    }
    throw new Error('compiled');
  };

  it('refuses an unclosed section naming the field, line and column', () => {
    const err = fail({ subject: 'ok', html: '<p>\n  {{#items}}\n  {{name}}\n</p>', text: null });
    expect(err.code).toBe('TEMPLATE_INVALID');
    expect(err.field).toBe('html');
    expect(err.message).toMatch(/^html: Unclosed section "items"/);
    expect(err.details).toMatchObject({ line: 2, column: 3 });
  });

  it('refuses an unclosed tag and an unopened section at their positions', () => {
    const tag = fail({ subject: 'Hi {{name', html: null, text: null });
    expect(tag.field).toBe('subject');
    expect(tag.details).toMatchObject({ line: 1, column: 10 });
    const unopened = fail({ subject: 'x', html: null, text: 'a\nb {{/x}}' });
    expect(unopened.field).toBe('text');
    expect(unopened.message).toContain('Unopened section "x"');
    expect(unopened.details).toMatchObject({ line: 2, column: 3 });
  });

  it('refuses partials, which would render nothing', () => {
    expect(fail({ subject: 'x', html: '{{> footer}}', text: null }).message).toContain('partials');
  });

  it('accepts valid templates', () => {
    expect(() => compileTemplate({ subject: '{{a}}', html: '{{#b}}{{c}}{{/b}}', text: '{{{d}}}' })).not.toThrow();
  });
});
