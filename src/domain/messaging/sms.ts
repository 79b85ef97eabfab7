/** SMS length and segment count: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface SmsInfo {
  encoding: 'gsm7' | 'ucs2';
  /** Characters as the network counts them (GSM-7 extension characters count twice; UCS-2 counts UTF-16 units). */
  length: number;
  segments: number;
}

export function smsInfo(text: string): SmsInfo {
  let gsmLength = 0;
  let gsm = true;
  for (const ch of text) {
    if (basic.has(ch)) gsmLength += 1;
    else if (extended.has(ch)) gsmLength += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'gsm7', length: gsmLength, segments: gsmLength === 0 ? 0 : gsmLength <= 160 ? 1 : Math.ceil(gsmLength / 153) };
  const units = text.length;
  return { encoding: 'ucs2', length: units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
