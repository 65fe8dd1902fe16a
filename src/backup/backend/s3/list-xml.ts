/**
 * The answer of ListObjectsV2 (Amazon S3 API Reference, "ListObjectsV2", Response Syntax):
 * `<ListBucketResult>` with `<Contents><Key>…</Key><Size>…</Size></Contents>` per object,
 * `<IsTruncated>` and `<NextContinuationToken>`; the answer of ListObjects (version 1) has
 * `<NextMarker>` instead (only with a delimiter: otherwise the last key is the marker). Only those elements are read; XML's five
 * predefined entities and numeric character references are decoded.
 */

export interface ListPage {
  objects: { key: string; size: number }[];
  truncated: boolean;
  nextToken?: string;
  nextMarker?: string;
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

const element = (xml: string, name: string): string | undefined => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : undefined;
};

export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw new SyntaxError(`Not a ListBucketResult: ${JSON.stringify(xml.slice(0, 200))}`);
  const objects: ListPage['objects'] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = element(m[1]!, 'Key');
    const size = Number(element(m[1]!, 'Size'));
    if (key === undefined || !Number.isSafeInteger(size) || size < 0) throw new SyntaxError(`Invalid <Contents> in a listing: ${JSON.stringify(m[0].slice(0, 200))}`);
    objects.push({ key, size });
  }
  const truncated = element(xml, 'IsTruncated') === 'true';
  const nextToken = element(xml, 'NextContinuationToken');
  const nextMarker = element(xml, 'NextMarker');
  return { objects, truncated, ...(nextToken ? { nextToken } : {}), ...(nextMarker ? { nextMarker } : {}) };
}

/** The <Code> and <Message> of an S3 error response, for messages. */
export function errorSummary(xml: string): string {
  const code = element(xml, 'Code');
  const message = element(xml, 'Message');
  return [code, message].filter(Boolean).join(': ');
}
