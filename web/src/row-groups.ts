// How a long list's rows are split into row groups (pure): the status table puts each group in a
// tbody of its own, skipped by the browser while off screen (ui/table.ts, style.css). Groups are
// kept where they are: a group starts at a row that started one before, so a row inserted or
// removed moves no row of any other group. Cut into fixed-size slices by position instead, every
// row inserted near the top shifted a row across every later group boundary: with 32 rows added
// a frame to a list of 1,000, about 600 rows moved between tbodies each frame (25 ms).

/**
 * Splits `rows` (in order) into groups of at most `max` rows: a group starts at a row in `starts`
 * (the first rows of the groups shown before), or after `max` rows. A row for which `follows`
 * holds (a status's values row) stays in the group of the row before it and is not counted. When
 * the groups have become many more than the rows need (insertions split groups into small ones),
 * they are cut afresh by position: `max` rows each.
 */
export function groupRows<T>(rows: readonly T[], starts: ReadonlySet<T>, max: number, follows: (row: T) => boolean): T[][] {
  const split = (useStarts: boolean): { groups: T[][]; counted: number } => {
    const groups: T[][] = [];
    let group: T[] = [];
    let count = 0;
    let counted = 0;
    for (const row of rows) {
      const attached = follows(row) && group.length > 0;
      if (!attached && group.length > 0 && (count >= max || (useStarts && starts.has(row)))) {
        groups.push(group);
        group = [];
        count = 0;
      }
      group.push(row);
      if (!attached) {
        count += 1;
        counted += 1;
      }
    }
    if (group.length > 0) groups.push(group);
    return { groups, counted };
  };
  const kept = split(true);
  return kept.groups.length > 2 * Math.ceil(kept.counted / max) + 1 ? split(false).groups : kept.groups;
}
