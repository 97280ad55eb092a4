/**
 * Parquet's enumerations (parquet-format, parquet.thrift) as the numbers written to files.
 */
export const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;
export const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
export const ConvertedType = { UTF8: 0, LIST: 3, UINT_8: 11, UINT_16: 12, UINT_32: 13, UINT_64: 14, INT_8: 15, INT_16: 16, INT_32: 17, INT_64: 18 } as const;
export const Encoding = { PLAIN: 0, RLE: 3, BYTE_STREAM_SPLIT: 9 } as const;
export const Codec = { UNCOMPRESSED: 0, SNAPPY: 1, ZSTD: 6 } as const;
export const PageType = { DATA_PAGE: 0 } as const;
/** LogicalType union members (field ids). */
export const Logical = { STRING: 1, LIST: 3, INTEGER: 10 } as const;
