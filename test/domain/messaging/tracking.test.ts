import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signClickToken, signOpenToken, trackedHtml, verifyClickToken, verifyOpenToken, type TrackSpec } from '../../../src/domain/messaging/tracking.js';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../../src/domain/messaging/unsubscribe.js';

const key = Buffer.from('an installation key of some length');
const id = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const spec: TrackSpec = { base: 'https://t.example.com', messageId: id, opens: true, clicks: true, untracked: ['https://t.example.com/u/'] };
const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

describe('tracking links', () => {
  it('every http(s) link becomes a signed redirect back to the address a browser would request', () => {
    fc.assert(
      fc.property(fc.array(fc.webUrl({ withQueryParameters: true, withFragments: true }), { minLength: 1, maxLength: 5 }), (urls) => {
        const html = `<html><body>${urls.map((u, i) => `<a class="l${i}" href="${escapeAttr(u)}">${i}</a>`).join('')}</body></html>`;
        const out = trackedHtml(html, key, spec);
        const links = [...out.matchAll(/<a class="l\d+" href="([^"]+)">/g)].map((m) => m[1]);
        expect(links).toHaveLength(urls.length);
        links.forEach((link, i) => {
          expect(link.startsWith('https://t.example.com/t/c/')).toBe(true);
          expect(verifyClickToken(key, link.slice('https://t.example.com/t/c/'.length))).toEqual({ messageId: id, url: new URL(urls[i]).href });
        });
      }),
    );
  });

  it('leaves the unsubscribe link, marked anchors and non-web links alone; the pixel goes before </body>', () => {
    const unsubscribe = `https://t.example.com/u/${signUnsubscribeToken(key, id)}`;
    const html = `<body><a href="${unsubscribe}">u</a><a data-no-track href="https://x.example.com/">n</a><a href="mailto:a@b.c">m</a><a href="#top">t</a><abbr href="https://x.example.com/">a</abbr></body>`;
    const out = trackedHtml(html, key, spec);
    expect(out).toBe(html.replace('</body>', `<img src="https://t.example.com/t/o/${signOpenToken(key, id)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0"></body>`));
    expect(trackedHtml(html, key, { ...spec, opens: false })).toBe(html);
    expect(trackedHtml('<p>no body tag</p>', key, spec)).toMatch(/^<p>no body tag<\/p><img src=/);
  });

  it('tokens verify only with their key and purpose', () => {
    const open = signOpenToken(key, id);
    expect(verifyOpenToken(key, open)).toBe(id);
    expect(verifyOpenToken(Buffer.from('another key'), open)).toBeNull();
    // an open token is no unsubscribe token, though both name the same message
    expect(verifyUnsubscribeToken(key, open)).toBeNull();
    const click = signClickToken(key, id, 'https://shop.example.com/a');
    const [hex, , mac] = click.split('.');
    expect(verifyClickToken(key, `${hex}.${Buffer.from('https://evil.example.com/').toString('base64url')}.${mac}`)).toBeNull();
    expect(verifyClickToken(key, signClickToken(key, id, 'javascript:alert(1)'))).toBeNull();
  });
});
