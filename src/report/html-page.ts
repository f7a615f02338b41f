/**
 * What every page adam-lab writes shares: one self-contained document (inline CSS, no scripts, no
 * fonts or images fetched from anywhere) that opens from a file:// URL or a CI artifact viewer,
 * and the pieces its tables and figures are made of.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table cell around markup that is already escaped. */
export function cell(html: string, className?: string): string {
  return className ? `<td class="${className}">${html}</td>` : `<td>${html}</td>`;
}

/**
 * A table in a box that scrolls sideways when the table is wider than the page (and, `tall`, down
 * under a header that stays in view), so the page itself never runs past the window's edge.
 */
export function scrolling(table: string, kind?: 'tall'): string {
  return `<div class="scroll${kind ? ` ${kind}` : ''}">${table}</div>`;
}

/** A snake_case name that may break after its underscores, and nowhere else. */
export function wrappableName(name: string): string {
  return escapeHtml(name).replaceAll('_', '_<wbr>');
}

/** A plot inlined in the page, captioned with a link to its own file. */
export function figure(svg: string, file: string): string {
  return `<figure>${svg}<figcaption><a href="${file}">${file}</a></figcaption></figure>`;
}

const STYLE = `
  :root { color-scheme: light; }
  body { margin: 0; background: #f6f7f9; color: #1d2127; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
  main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #dde1e6; }
  .meta { color: #555; margin: 0; }
  code { font: 12.5px/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
  pre { overflow-x: auto; max-width: 100%; }
  .scroll { overflow-x: auto; max-width: 100%; background: #fff; box-shadow: 0 0 0 1px #dde1e6; }
  .scroll.tall { max-height: 75vh; overflow-y: auto; }
  table { border-collapse: collapse; background: #fff; min-width: 100%; }
  th, td { padding: 6px 10px; border-bottom: 1px solid #eceef1; text-align: left; vertical-align: top; }
  td { white-space: nowrap; }
  th { background: #eef1f4; font-weight: 600; font-size: 13px; position: sticky; top: 0; }
  abbr { text-decoration: underline dotted; cursor: help; }
  tbody tr:nth-child(even) { background: #fafbfc; }
  .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .ranked { background: #e3ecf7; }
  .hint, .n { color: #666; font-size: 12px; font-weight: normal; }
  .std { color: #555; }
  tr.best td { font-weight: 600; }
  tr.best .std, tr.best .n { font-weight: normal; }
  .bad { color: #a50f15; font-weight: 600; }
  .status { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; background: #e8e8e8; }
  .status.completed { background: #dcf2e0; color: #1c6b2e; }
  .status.diverged { background: #fbdcd9; color: #a50f15; }
  .status.interrupted, .status.failed { background: #fdebd0; color: #8a4b00; }
  .status.running { background: #dbe9fb; color: #1f4f8f; }
  figure { margin: 0 0 20px; padding: 12px; background: #fff; box-shadow: 0 0 0 1px #dde1e6; overflow-x: auto; }
  figure svg { display: block; max-width: 100%; height: auto; }
  figcaption { margin-top: 4px; font-size: 12px; color: #666; }
  figcaption a { color: inherit; }
`;

/** The page around a body: the same head and style for a sweep's report and a tuned comparison's. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
