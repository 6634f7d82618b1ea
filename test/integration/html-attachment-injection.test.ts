import { describe, expect, it } from 'vitest';
import { expectInert, payloadFor, useInjectionSetup } from '../support/injection-checks.js';

/*
 * Hostile attachment names and HTML through the REST send API: file names stay data (refused when
 * they carry line breaks), and HTML passes through untouched: we are not a sanitiser, and the
 * tracking rewrite must neither execute nor break scripts, event handlers or `javascript:` links.
 */

describe('hostile attachment names and HTML via the REST send API', () => {
  const { h, keys, send, arrival, fresh } = useInjectionSetup();

  it('delivers hostile attachment file names as data: one attachment, the exact name, no extra header', async () => {
    const NAMES = [
      '../../etc/passwd',
      '..\\..\\windows\\win.ini',
      '/etc/shadow',
      'quote"d.txt',
      "it's.txt",
      '"; filename="evil.exe',
      'a;b=c.txt',
      'semi; name="x".txt',
      'invoice\u202Efdp.exe',
      'résumé – 2024.pdf',
      'файл.txt',
      '文件.txt',
      '=?utf-8?b?Li4vLi4vZXRjL3Bhc3N3ZA==?=',
      `${'n'.repeat(251)}.txt`,
      `long ${'ü'.repeat(120)}.txt`,
      '.htaccess',
      ' leading and trailing ',
      'tab\there.txt',
    ];
    const content = Buffer.from('attachment body \u00e9').toString('base64');
    const failures: string[] = [];
    for (const filename of NAMES) {
      const to = fresh('filename');
      const res = await send(keys.plain, {
        from: 'shop@sender.test',
        to,
        subject: 'file',
        text: 'see attached',
        attachments: [{ filename, content }],
      });
      if (res.status === 400) {
        expect(res.body.error, JSON.stringify(filename)).toMatchObject({
          code: 'VALIDATION_FAILED',
          field: expect.stringMatching(/^attachments\[0\]\.filename$/),
        });
        continue;
      }
      expect(res.status, JSON.stringify(filename)).toBe(202);
      const m = await arrival(to);
      const parsed = await expectInert(m, [to]);
      expect(parsed.attachments, JSON.stringify(filename)).toHaveLength(1);
      const [att] = parsed.attachments;
      expect(att?.content.toString('base64')).toBe(content);
      if (att?.filename !== filename)
        failures.push(`${JSON.stringify(filename)} arrived as ${JSON.stringify(att?.filename)}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses file names with line breaks sent as multipart (RFC 5987 filename*)', async () => {
    for (const [brkName, brk] of Object.entries({ crlf: '\r\n', lf: '\n', cr: '\r', nul: '\0' })) {
      const boundary = 'inj3ct';
      const name = `a${payloadFor(brk)}.txt`;
      const body =
        `--${boundary}\r\nContent-Disposition: form-data; name="from"\r\n\r\nshop@sender.test\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="to"\r\n\r\n${fresh('multipart')}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="subject"\r\n\r\nfile\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encodeURIComponent(name)}\r\nContent-Type: text/plain\r\n\r\nfile\r\n` +
        `--${boundary}--\r\n`;
      const res = await fetch(`${h.platform.urls.api}/v1/send`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${keys.plain}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body,
      });
      expect(res.status, brkName).toBe(400);
      expect(((await res.json()) as any).error, brkName).toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'attachments[0].filename',
      });
    }
  });

  // HTML is not sanitised: scripts, handlers and javascript: links reach the recipient as written.
  const SCRIPT_1 = `<script>var s = "<a href='https://in-script.example/'>x</a>"; if (a < b && c > d) { document.write('</p>'); }</script>`;
  const SCRIPT_2 = `<script type="module">import x from "https://cdn.example/x.js"; x\`<a href="https://tpl.example/">\`;</script>`;
  const SVG_SCRIPT = `<svg onload="alert(1)"><script>alert('svg')</script></svg>`;
  const TRACKABLE = `<a href="https://shop.example/track-me?a=1&amp;b=2">ok</a>`;
  const TRACKABLE_SINGLE = `<a href='https://quoted.example/?x="y"&z=<w>'>quoted</a>`;
  // Real mail carries unencoded non-ASCII in links; the redirect must still work.
  const TRACKABLE_UNICODE = `<a href="https://bücher.example/straße?q=ü&amp;p=パス">unicode</a>`;
  const UNTOUCHABLE_LINKS = [
    `<a href="javascript:alert(document.cookie)">js</a>`,
    `<a href="JaVaScRiPt:alert(1)">js2</a>`,
    `<a href="  javascript:alert(1)">js3</a>`,
    `<a href="java&#x09;script:alert(1)">js4</a>`,
    `<a href="jav&#x0A;ascript:alert(1)">js5</a>`,
    `<a href="vbscript:msgbox(1)">vb</a>`,
    `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>`,
    `<a href="https://tab\tbed.example/">ctl</a>`,
    `<area href="javascript:alert(2)" shape="rect" coords="0,0,1,1">`,
  ];
  const HTML =
    `<!doctype html><html><head><meta charset="utf-8">${SCRIPT_1}${SCRIPT_2}<style>a{background:url(javascript:alert(1))}</style></head>` +
    `<body onload="init()"><p onclick="alert(1)" onmouseover='steal("x")'>Hi</p>${TRACKABLE}${TRACKABLE_SINGLE}${TRACKABLE_UNICODE}${UNTOUCHABLE_LINKS.join('')}` +
    `<img src=x onerror="alert(1)">${SVG_SCRIPT}<iframe srcdoc="<script>alert(1)</script>"></iframe>` +
    `<!-- <a href="https://comment.example/">c</a> --><noscript><a href="https://noscript.example/">n</a></noscript>` +
    `<textarea><a href="https://textarea.example/">t</a></textarea><form action="javascript:alert(1)"><button formaction="javascript:alert(2)">b</button></form>` +
    `<map name="m"></map></body></html>`;

  let trackedLinks: string[] = [];
  /** Follows a tracked link once: `302 <normalised Location>`, or the status and body. */
  const follow = async (link: string) => {
    const r = await fetch(link, {
      redirect: 'manual',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
    });
    return `${r.status} ${r.status === 302 ? new URL(r.headers.get('location') ?? '').href : await r.text()}`;
  };

  it('passes HTML with scripts, handlers and javascript: links through untouched when tracking is off', async () => {
    const to = fresh('html-plain');
    const res = await send(keys.plain, {
      from: 'shop@sender.test',
      to,
      subject: 'html',
      html: HTML,
      text: 'text part',
    });
    expect(res.status).toBe(202);
    const parsed = await expectInert(await arrival(to), [to]);
    expect(String(parsed.html)).toBe(HTML);
  });

  it('with click and open tracking, rewrites only the http(s) links and leaves scripts and javascript: links byte for byte', async () => {
    const to = fresh('html-tracked');
    const res = await send(keys.tracked, {
      from: 'shop@sender.test',
      to,
      subject: 'html',
      html: HTML,
      text: 'text part',
    });
    expect(res.status).toBe(202);
    const parsed = await expectInert(await arrival(to), [to]);
    const html = String(parsed.html);
    for (const s of [SCRIPT_1, SCRIPT_2, SVG_SCRIPT, ...UNTOUCHABLE_LINKS]) expect(html).toContain(s);
    expect(html).toContain(`<p onclick="alert(1)" onmouseover='steal("x")'>Hi</p>`);
    expect(html).toContain(`<body onload="init()">`);
    expect(html).toContain('<!-- <a href="https://comment.example/">c</a> -->');
    expect(html).toContain('<textarea><a href="https://textarea.example/">t</a></textarea>');

    // Undo the rewrites and the pixel: what is left is the original document, byte for byte.
    const pixel = /<img src="[^"]*\/t\/o\/[^"]+" width="1" height="1" alt="" style="[^"]*" \/>/g;
    expect(html.match(pixel)).toHaveLength(1);
    const hrefs = [...html.matchAll(/href="[^"]*\/t\/c\/[^"]+"/g)].map((m) => m[0]);
    expect(hrefs).toHaveLength(3);
    let restored = html.replace(pixel, '');
    restored = restored.replace(hrefs[0]!, `href="https://shop.example/track-me?a=1&amp;b=2"`);
    restored = restored.replace(hrefs[1]!, `href='https://quoted.example/?x="y"&z=<w>'`);
    restored = restored.replace(hrefs[2]!, `href="https://bücher.example/straße?q=ü&amp;p=パス"`);
    expect(restored).toBe(HTML);

    // Exactly the three real http(s) anchors became tracked links; the ASCII ones redirect to their original URL.
    const base = `${h.platform.urls.api}/t/c/`;
    trackedLinks = hrefs.map((a) => a.slice('href="'.length, -1).replace(/&amp;/g, '&'));
    for (const link of trackedLinks) expect(link.startsWith(base)).toBe(true);
    expect(await follow(trackedLinks[0]!)).toBe(`302 ${new URL('https://shop.example/track-me?a=1&b=2').href}`);
    expect(await follow(trackedLinks[1]!)).toBe(`302 ${new URL('https://quoted.example/?x="y"&z=<w>').href}`);
  });

  it('redirects a tracked link whose URL has non-ASCII characters', async () => {
    // Links with unencoded Unicode are common in real mail; the click must not fail.
    expect(trackedLinks).toHaveLength(3);
    const before = h.platform.logs.length;
    const got = await follow(trackedLinks[2]!);
    const logged = h.platform.logs
      .slice(before)
      .filter((l) => l.includes('request failed'))
      .map((l) => l.slice(0, 600));
    expect({ got, logged }).toEqual({
      got: `302 ${new URL('https://bücher.example/straße?q=ü&p=パス').href}`,
      logged: [],
    });
  });
});
