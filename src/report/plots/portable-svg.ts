/**
 * vega's SVG, rewritten so that every common renderer draws the same picture: browsers, librsvg
 * (rsvg-convert, GNOME, most Linux viewers) and ImageMagick's own SVG renderer (MSVG, what
 * Debian's `convert x.svg x.png` uses). MSVG strokes every shape that names no stroke in black,
 * ignores `opacity`, `fill-opacity` and `stroke-opacity` (it reads rgba colours only), and stops
 * drawing at a dash pattern without gaps, so without this a band turns into an opaque block with
 * a black outline, text looks bold, legends grow black frames and figures end half drawn. Browsers and librsvg draw the rewritten file exactly as vega's own.
 */

/** vega's invisible hit-testing paths: an empty foreground, a zero-size background. */
const INVISIBLE = /<path class="foreground"[^>]*display="none"\/>|<path class="background" aria-hidden="true" d="M0,0h0v0h0Z"[^>]*\/>/g;

/** "#4c78a8", "#000" or "rgb(68, 1, 84)" as red, green and blue; null for anything else (none, url(#…), a name). */
function rgb(colour: string): [number, number, number] | null {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour)?.[1];
  if (hex !== undefined) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
  }
  const parts = /^rgb\(\s*(\d+),\s*(\d+),\s*(\d+)\s*\)$/.exec(colour);
  return parts === null ? null : [Number(parts[1]), Number(parts[2]), Number(parts[3])];
}

/** An element's attributes as written, in order. */
function attributes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/\s([\w:-]+)="([^"]*)"/g)].map(([, name, value]) => [name, value]));
}

/** A colour with an opacity folded in: rgba() where it is not 1; unchanged where it cannot be (a gradient). */
function withAlpha(colour: string, alpha: number): string | null {
  if (alpha === 1 || colour === 'none') return colour;
  const channels = rgb(colour);
  return channels === null ? null : `rgba(${channels.join(',')},${Number(alpha.toFixed(4))})`;
}

/** One drawing element: explicit fill and stroke, opacities folded into the colours. */
function portableElement(name: string, text: string): string {
  const attrs = attributes(text);
  if (name !== 'text' && !attrs.has('fill')) attrs.set('fill', 'none');
  if (!attrs.has('stroke')) attrs.set('stroke', 'none');
  // a solid line written as a dash pattern with no gap, which MSVG refuses (and then draws nothing more)
  if (/^[\d.]+,0$/.test(attrs.get('stroke-dasharray') ?? '')) attrs.delete('stroke-dasharray');
  const opacity = Number(attrs.get('opacity') ?? 1);
  const fill = withAlpha(attrs.get('fill') ?? '#000', opacity * Number(attrs.get('fill-opacity') ?? 1));
  const stroke = withAlpha(attrs.get('stroke')!, opacity * Number(attrs.get('stroke-opacity') ?? 1));
  if (fill !== null && stroke !== null) {
    if (attrs.has('fill') || name === 'text') attrs.set('fill', fill);
    attrs.set('stroke', stroke);
    for (const folded of ['opacity', 'fill-opacity', 'stroke-opacity']) attrs.delete(folded);
  }
  return [...attrs].map(([key, value]) => ` ${key}="${value}"`).join('');
}

export function portableSvg(svg: string): string {
  const defs = [...svg.matchAll(/<defs>[\s\S]*?<\/defs>/g)].map(([d]) => d);
  return svg
    .replace(INVISIBLE, '')
    .replace(/<defs>[\s\S]*?<\/defs>/g, '')
    .replace(/^(<svg[^>]*>)/, `$1${defs.join('')}`) // definitions before their first use, for one-pass readers
    .replace(/<(path|rect|text|line|circle|ellipse)\b([^>]*?)(\/?)>/g, (_, name: string, text: string, close: string) => `<${name}${portableElement(name, text)}${close}>`);
}
