/**
 * Plots: a histogram drawn by jsroot (ROOT's own look) into SVG in Node, and turned into PNG by
 * resvg with the DejaVu Sans font the package depends on (loaded from its files, not from the
 * system), so text renders the same in slim containers. Log axes follow the histogram's plot hints.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Histogram } from './histogram.ts';

const require = createRequire(import.meta.url);
const fontDir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'].map((f) => join(fontDir, f));

interface JsrootHistogram {
  fName: string;
  fTitle: string;
  fArray: number[] | Float64Array;
  fSumw2: number[];
  fEntries: number;
  fXaxis: { fXmin: number; fXmax: number; fXbins: number[]; fTitle: string; fNbins: number };
  fYaxis: { fTitle: string };
  fBits?: number;
}

/** The histogram as a jsroot TH1D (the same bin layout: 0 underflow, 1..n, n + 1 overflow). */
async function toJsroot(name: string, h: Histogram): Promise<JsrootHistogram> {
  const jsroot = await import('jsroot');
  const axis = h.axes[0]!;
  const th = jsroot.createHistogram('TH1D', axis.bins) as unknown as JsrootHistogram;
  th.fName = name;
  th.fTitle = h.label ?? name;
  th.fXaxis.fXmin = axis.edges[0]!;
  th.fXaxis.fXmax = axis.edges[axis.bins]!;
  if (axis.spec.type !== 'regular') th.fXaxis.fXbins = [...axis.edges];
  th.fXaxis.fTitle = axis.spec.label ?? '';
  th.fYaxis.fTitle = h.storage === 'weighted' ? 'Weighted events' : 'Entries';
  for (let i = 0; i < h.values.length; i++) th.fArray[i] = h.values[i]!;
  th.fSumw2 = h.variances ? [...h.variances] : [];
  th.fEntries = h.sum();
  return th;
}

export async function histogramSvg(name: string, h: Histogram, size = { width: 800, height: 600 }): Promise<string> {
  if (h.axes.length !== 1) throw new Error(`plotting ${name}: only one-axis histograms are drawn`);
  const jsroot = await import('jsroot');
  const th = await toJsroot(name, h);
  const opts = ['hist', 'nostat'];
  if (h.plot.logx) opts.push('logx');
  if (h.plot.logy) opts.push('logy');
  return jsroot.makeSVG({ object: th, option: opts.join(';'), width: size.width, height: size.height });
}

export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    background: 'white',
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans', serifFamily: 'DejaVu Sans', monospaceFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
