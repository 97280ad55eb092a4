/** physlite's library entry: the ROOT reader and its building blocks. */
export { RootFile, type FileHeader, type Directory } from './root/file.ts';
export { TreeReader, clusters, normalizeRange, type ReadOptions, type ReadResult, type ReadStats } from './root/tree/reader.ts';
export type { Tree, Branch, Leaf, BasketLocation } from './root/tree/model.ts';
export { inspectFile, inspectRootFile, type InspectReport, type TreeReport, type BranchReport } from './root/inspect.ts';
export { interpret, registerInterpretation, type Interpretation, type Resolution } from './root/interpret/registry.ts';
export { registerCodec, codecFor, describeSetting } from './root/compression/index.ts';
export { FileSource } from './root/source/file.ts';
export { MemorySource } from './root/source/memory.ts';
export type { ByteSource, ByteRange, SourceCounters } from './root/source/source.ts';
export { planRanges, readRanges, DEFAULT_COALESCE, type CoalesceConfig } from './root/source/coalesce.ts';
export { toValues, valueAt, type JsValue } from './arrow/values.ts';
export * from './errors.ts';
export { readMetadata, type FileMetadata, type CutBookkeeper } from './root/metadata.ts';
export { StreamerCompiler, compilerFor } from './root/interpret/streamed.ts';
