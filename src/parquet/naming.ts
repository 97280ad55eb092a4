/**
 * Column names: one rule for TTree branches (`AnalysisMuonsAuxDyn.pt`) and RNTuple fields
 * (`AnalysisMuonsAuxDyn:pt`): every `.` and `:` becomes `_` (`AnalysisMuonsAuxDyn_pt`), so DuckDB,
 * pyarrow and hyparquet select columns by plain name (pyarrow reads a dotted name as a path into a
 * struct). The original name stays in the field metadata (`root.branch`). Two branches that map to
 * the same column name are an error, never a silent overwrite.
 */
import { InputError } from '../errors.ts';

export function columnName(branch: string): string {
  return branch.replace(/[.:]/g, '_');
}

/** Column names for `branches`, or an InputError naming both branches of a collision. */
export function columnNames(branches: readonly string[], file?: string): Map<string, string> {
  const byColumn = new Map<string, string>();
  const out = new Map<string, string>();
  for (const b of branches) {
    const c = columnName(b);
    const other = byColumn.get(c);
    if (other !== undefined && other !== b) throw new InputError(`branches ${other} and ${b} would both be column ${c}`, { file });
    byColumn.set(c, b);
    out.set(b, c);
  }
  return out;
}
