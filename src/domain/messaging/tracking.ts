import { decodeHTMLAttribute, escapeAttribute } from 'entities';
import { hexOfId, idOfHex, macMatches, macOf } from './signed-token.js';

/** `tracking` in the messaging settings: both on unless turned off. */
export interface TrackingSettings {
  opens?: boolean;
  clicks?: boolean;
}

/** What to track in one message's HTML, and where the public tracking links point. */
export interface TrackSpec {
  /** Public base address of this installation (no trailing slash). */
  base: string;
  messageId: string;
  opens: boolean;
  clicks: boolean;
  /** Links starting with one of these are never rewritten (the unsubscribe link, our own public pages). */
  untracked: string[];
}

/** The signed open-pixel token: `<message id hex>.<HMAC prefix>`. */
export function signOpenToken(key: Buffer, messageId: string): string {
  const id = hexOfId(messageId);
  return `${id}.${macOf(key, 'open', id)}`;
}

export function verifyOpenToken(key: Buffer, token: string): string | null {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m || !macMatches(key, 'open', m[1], m[2])) return null;
  return idOfHex(m[1]);
}

/** The signed click token: `<message id hex>.<original URL, base64url>.<HMAC prefix over both>`. */
export function signClickToken(key: Buffer, messageId: string, url: string): string {
  const payload = `${hexOfId(messageId)}.${Buffer.from(url, 'utf8').toString('base64url')}`;
  return `${payload}.${macOf(key, 'click', payload)}`;
}

export function verifyClickToken(key: Buffer, token: string): { messageId: string; url: string } | null {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m || !macMatches(key, 'click', `${m[1]}.${m[2]}`, m[3])) return null;
  const url = webAddress(Buffer.from(m[2], 'base64url').toString('utf8'));
  return url ? { messageId: idOfHex(m[1]), url } : null;
}

/** The address as a browser would request it (spaces and the like escaped), or null unless http(s). */
function webAddress(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

const ANCHOR = /<a\s[^>]*>/gi;
const HREF = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i;
const NO_TRACK = /\sdata-no-track(?=[\s=>/])/i;

/**
 * Rewrites every http(s) link of an HTML email to its signed click redirect and adds the open pixel before
 * `</body>`. Links starting with an `untracked` prefix (the unsubscribe link) and anchors marked
 * `data-no-track` stay as they are.
 */
export function trackedHtml(html: string, key: Buffer, spec: TrackSpec): string {
  let out = html;
  if (spec.clicks) {
    out = out.replace(ANCHOR, (tag) => {
      if (NO_TRACK.test(tag)) return tag;
      const m = HREF.exec(tag);
      if (!m) return tag;
      const written = decodeHTMLAttribute(m[2] ?? m[3] ?? m[4] ?? '').trim();
      const url = /^https?:\/\//i.test(written) ? webAddress(written) : null;
      if (!url || spec.untracked.some((prefix) => written.startsWith(prefix) || url.startsWith(prefix))) return tag;
      const tracked = `${spec.base}/t/c/${signClickToken(key, spec.messageId, url)}`;
      return tag.slice(0, m.index) + `${m[1]}"${escapeAttribute(tracked)}"` + tag.slice(m.index + m[0].length);
    });
  }
  if (spec.opens) {
    const pixel = `<img src="${escapeAttribute(`${spec.base}/t/o/${signOpenToken(key, spec.messageId)}`)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`;
    const at = out.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
    out = at >= 0 ? out.slice(0, at) + pixel + out.slice(at) : out + pixel;
  }
  return out;
}
