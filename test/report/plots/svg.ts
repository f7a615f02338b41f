/** Reading the SVGs vega writes: well-formedness, the marks drawn, the labels for screen readers. */
import { expect } from 'vitest';

/**
 * A small well-formedness check, so that no XML parser has to be added as a dependency: one root
 * element, tags nest and close, attributes are quoted and not repeated, and every & starts a
 * known entity.
 */
export function expectWellFormedXml(text: string): void {
  // (stricter than XML inside comments and CDATA, which vega does not write)
  const bare = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
  if (bare) throw new Error(`bare & at offset ${bare.index}: ${text.slice(bare.index, bare.index + 60)}`);
  const token =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|</g;
  const open: string[] = [];
  let roots = 0;
  let last = 0;
  for (const match of text.matchAll(token)) {
    const [whole, closing, name, attributes, selfClosing] = match;
    const at = `at offset ${match.index}: ${text.slice(match.index, match.index + 60)}`;
    if (whole === '<') throw new Error(`not a tag ${at}`);
    if (open.length === 0 && text.slice(last, match.index).trim() !== '') throw new Error(`text outside the root ${at}`);
    last = match.index + whole.length;
    if (name === undefined) continue; // a comment, processing instruction or CDATA
    if (closing) {
      if (open.pop() !== name) throw new Error(`</${name}> closes nothing open ${at}`);
      continue;
    }
    const names = [...attributes.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"[^"]*"|'[^']*')/g)].map(([, n]) => n);
    if (new Set(names).size !== names.length) throw new Error(`repeated attribute ${at}`);
    if (open.length === 0) roots += 1;
    if (!selfClosing) open.push(name);
  }
  expect(open, 'unclosed elements').toEqual([]);
  expect(roots, 'root elements').toBe(1);
}

/** How many scene items vega drew for marks of a type ("line mark", "area mark", "rect mark", "point" for line points and symbols). */
export function items(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}

export function ariaLabels(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*)"/g)].map(([, label]) => label);
}

export function dataOf(spec: object): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}
