/**
 * Contour lines of a function on a rectangle, by marching squares over a grid of its values
 * (Lorensen & Cline's cases, the saddle cell split by the cell's mean), at levels spaced
 * logarithmically above the grid's minimum where the function has one: f − min spans decades on
 * Rosenbrock's or Beale's valleys, so equal spacing would crowd every line onto the walls.
 */

export interface Rectangle {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

/** One level's line pieces, as [x, y, x, y] in the function's coordinates. */
export interface ContourLevel {
  readonly level: number;
  readonly segments: readonly (readonly [number, number, number, number])[];
}

/** f over an n×n grid of the rectangle: values[j][i] at (x0 + i·dx, y0 + j·dy). */
export function sampleGrid(f: (x: number, y: number) => number, box: Rectangle, n: number): number[][] {
  return Array.from({ length: n }, (_, j) =>
    Array.from({ length: n }, (_, i) => f(box.x0 + ((box.x1 - box.x0) * i) / (n - 1), box.y0 + ((box.y1 - box.y0) * j) / (n - 1))),
  );
}

/**
 * `count` levels min + d with d geometric from (max − min)·1e-3 … (max − min)·0.9 (the upper
 * reaches of a valley's walls are left out). Without a minimum to climb from (a saddle, a linear
 * function), evenly spaced levels between min and max show its shape better.
 */
export function contourLevels(values: readonly (readonly number[])[], count: number, hasMinimum: boolean): number[] {
  const finite = values.flat().filter(Number.isFinite);
  if (finite.length === 0) return [];
  const low = Math.min(...finite);
  const span = Math.max(...finite) - low;
  if (!(span > 0)) return [];
  return Array.from({ length: count }, (_, k) => (hasMinimum ? low + span * 1e-3 * 900 ** (k / (count - 1)) : low + (span * (k + 1)) / (count + 1)));
}

export function contourLines(values: readonly (readonly number[])[], box: Rectangle, levels: readonly number[]): ContourLevel[] {
  const n = values.length;
  const x = (i: number): number => box.x0 + ((box.x1 - box.x0) * i) / (n - 1);
  const y = (j: number): number => box.y0 + ((box.y1 - box.y0) * j) / (n - 1);
  return levels.map((level) => {
    const segments: [number, number, number, number][] = [];
    for (let j = 0; j < n - 1; j++) {
      for (let i = 0; i < n - 1; i++) {
        // corners counter-clockwise from the bottom left, and the crossing on each edge
        const corners = [values[j][i], values[j][i + 1], values[j + 1][i + 1], values[j + 1][i]];
        if (!corners.every(Number.isFinite)) continue;
        const at = [
          [x(i), y(j)],
          [x(i + 1), y(j)],
          [x(i + 1), y(j + 1)],
          [x(i), y(j + 1)],
        ];
        const crossings: [number, number][] = [];
        for (let e = 0; e < 4; e++) {
          const [a, b] = [corners[e], corners[(e + 1) % 4]];
          if (a < level === b < level) continue;
          const t = (level - a) / (b - a);
          const [p, q] = [at[e], at[(e + 1) % 4]];
          crossings.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
        }
        if (crossings.length === 2) segments.push([...crossings[0], ...crossings[1]]);
        else if (crossings.length === 4) {
          // a saddle cell: the cell's mean says which corners the level's regions join
          const above = (corners[0] + corners[1] + corners[2] + corners[3]) / 4 >= level === corners[0] >= level;
          const [c0, c1, c2, c3] = crossings;
          if (above) segments.push([...c0, ...c1], [...c2, ...c3]);
          else segments.push([...c0, ...c3], [...c1, ...c2]);
        }
      }
    }
    return { level, segments };
  });
}
