/**
 * Issue 6: Rucio inputs. Deterministic PFN paths give scope:name (checked against the md5
 * folders), metalinks are parsed with their entities, replicas are ordered by preferred RSE, then
 * scheme, then priority, and root:// replicas are set aside with the reason.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adler32 } from '../src/root/source/adler32.ts';
import { chooseReplicas, parseMetalink, rucioDid, specsFromLines, specsFromMetalink } from '../src/convert/replicas.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const pfn = (host: string, scope: string, name: string, q = '') =>
  `${host}/pnfs/example.org/atlasdatadisk/rucio/${scope.replace(/\./g, '/')}/${md5(`${scope}:${name}`).slice(0, 2)}/${md5(`${scope}:${name}`).slice(2, 4)}/${name}${q}`;

describe('Rucio replicas', () => {
  it('scope:name from deterministic PFN paths, dotted scopes included; other paths are not guessed', () => {
    expect(rucioDid(pfn('davs://se.example.org:443', 'mc20_13TeV', 'DAOD_PHYSLITE.123._000001.pool.root.1'))).toBe('mc20_13TeV:DAOD_PHYSLITE.123._000001.pool.root.1');
    expect(rucioDid(pfn('https://se.example.org', 'user.jdoe', 'out.root', '?authz=SECRET'))).toBe('user.jdoe:out.root');
    expect(rucioDid('https://se.example.org/rucio/user/jdoe/00/00/out.root')).toBeUndefined(); // md5 folders do not match
    expect(rucioDid('https://se.example.org/data/out.root')).toBeUndefined();
  });

  it('a --pfns list: the replicas of one file are one input, root:// set aside with the reason', () => {
    const lines = [
      pfn('root://eos.example.org:1094/', 'data18_13TeV', 'a.root'),
      pfn('davs://se1.example.org:443', 'data18_13TeV', 'a.root'),
      pfn('https://se2.example.org', 'data18_13TeV', 'b.root', '?sig=SECRET'),
      'https://plain.example.org/files/c.root?sig=SECRET',
    ];
    const specs = specsFromLines(lines);
    expect(specs.map((s) => s.id)).toEqual(['data18_13TeV:a.root', 'data18_13TeV:b.root', 'https://plain.example.org/files/c.root']);
    expect(specs[0]!.replicas).toEqual([lines[1]]);
    expect(specs[0]!.skipped![0]).toMatch(/^root:\/\/eos.example.org:1094\/.*a.root: root:\/\/ needs an XRootD client/);
    expect(specs[2]!.replicas).toEqual([lines[3]]); // the signature stays in the URL used to read...
    expect(JSON.stringify(specs.map((s) => [s.id, s.skipped]))).not.toContain('SECRET'); // ...and nowhere else
  });

  it('metalink: identity, size, adler32, entities in URLs; order by RSE, scheme, priority', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
 <file name="f.root">
  <identity>mc20_13TeV:f.root</identity>
  <hash type="adler32">0ABC1234</hash>
  <size>1234</size>
  <url location="SITE-A_DATADISK" domain="wan" priority="1">root://a.example.org//f.root</url>
  <url location="SITE-A_DATADISK" domain="wan" priority="2">https://a.example.org/f.root?X-Sig=1&amp;exp=2</url>
  <url location="SITE-B_DATADISK" domain="wan" priority="3">davs://b.example.org:443/f.root</url>
 </file>
</metalink>`;
    expect(parseMetalink(xml)).toEqual([
      {
        did: 'mc20_13TeV:f.root',
        size: 1234,
        adler32: '0abc1234',
        replicas: [
          { url: 'root://a.example.org//f.root', rse: 'SITE-A_DATADISK', priority: 1 },
          { url: 'https://a.example.org/f.root?X-Sig=1&exp=2', rse: 'SITE-A_DATADISK', priority: 2 },
          { url: 'davs://b.example.org:443/f.root', rse: 'SITE-B_DATADISK', priority: 3 },
        ],
      },
    ]);
    const [byScheme] = specsFromMetalink(xml);
    expect(byScheme).toMatchObject({ id: 'mc20_13TeV:f.root', size: 1234, replicas: ['davs://b.example.org:443/f.root', 'https://a.example.org/f.root?X-Sig=1&exp=2'] });
    const [byRse] = specsFromMetalink(xml, { rses: ['SITE-A_DATADISK'] });
    expect(byRse!.replicas[0]).toBe('https://a.example.org/f.root?X-Sig=1&exp=2');
    const [httpsFirst] = specsFromMetalink(xml, { schemes: ['https', 'davs'] });
    expect(httpsFirst!.replicas[0]).toMatch(/^https:/);
  });

  it('only root:// replicas: no usable replica, with the reason kept', () => {
    const s = chooseReplicas('s:n', [{ url: 'root://x//n', priority: 1 }]);
    expect(s.replicas).toEqual([]);
    expect(s.skipped).toHaveLength(1);
  });

  it('Adler-32: the reference value, and chunked updates equal the plain definition', () => {
    expect(new Adler32().update(new TextEncoder().encode('Wikipedia')).hex()).toBe('11e60398');
    expect(new Adler32().hex()).toBe('00000001');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.nat(20_000), (data, cut) => {
        let a = 1;
        let b = 0;
        for (const x of data) {
          a = (a + x) % 65521;
          b = (b + a) % 65521;
        }
        const plain = ((b * 65536 + a) >>> 0).toString(16).padStart(8, '0');
        const c = Math.min(cut, data.length);
        return new Adler32().update(data.subarray(0, c)).update(data.subarray(c)).hex() === plain;
      }),
      { numRuns: 200 },
    );
  });
});
