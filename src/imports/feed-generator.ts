/** Generated product feeds (YML and CSV) of any size, streamed: for tests and the import benchmark. */
import { Readable } from 'node:stream';

export function ymlFeed(offers: number, opts: { bad?: (i: number) => boolean; categories?: number } = {}): Readable {
  const cats = opts.categories ?? 50;
  function* parts() {
    yield `<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-03-01 10:00">\n<shop>\n<name>Shop</name>\n<currencies><currency id="RUR" rate="1"/></currencies>\n<categories>\n`;
    for (let c = 1; c <= cats; c++) yield `<category id="${c}"${c > 5 ? ` parentId="${(c % 5) + 1}"` : ''}>Category ${c}</category>\n`;
    yield `</categories>\n<offers>\n`;
    let chunk = '';
    for (let i = 1; i <= offers; i++) {
      const price = opts.bad?.(i) ? 'free' : `${(i % 10_000) + 0.99}`;
      chunk +=
        `<offer id="o${i}" available="${i % 7 ? 'true' : 'false'}">\n<url>https://shop.example/p/${i}</url>\n<price>${price}</price>\n` +
        `<oldprice>${(i % 10_000) + 10}</oldprice>\n<currencyId>RUR</currencyId>\n<categoryId>${(i % cats) + 1}</categoryId>\n` +
        `<picture>https://shop.example/i/${i}.jpg</picture>\n<name>Product &amp; thing ${i}</name>\n<vendor>Vendor ${i % 100}</vendor>\n` +
        `<param name="Color">c${i % 12}</param>\n<param name="Size">${i % 5}</param>\n</offer>\n`;
      if (i % 200 === 0) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}</offers>\n</shop>\n</yml_catalog>\n`;
  }
  return Readable.from(parts(), { objectMode: false });
}

export function csvFeed(rows: number, opts: { bad?: (i: number) => boolean } = {}): Readable {
  function* parts() {
    yield 'id,name,price,old_price,currency,categories,url,vendor,available,param.color\n';
    let chunk = '';
    for (let i = 1; i <= rows; i++) {
      const price = opts.bad?.(i) ? '-3' : `${(i % 10_000) + 0.5}`;
      chunk += `c${i},"Item, no. ${i}",${price},,EUR,${(i % 30) + 1}|all,https://shop.example/c/${i},V${i % 50},${i % 3 ? 'true' : 'false'},c${i % 9}\n`;
      if (i % 500 === 0) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  return Readable.from(parts(), { objectMode: false });
}
