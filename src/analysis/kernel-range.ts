/**
 * How the analysis's loops over a batch are run: in kernels called on ranges of KERNEL_RANGE
 * objects or events, not in one call per batch. V8 compiles a function whose single call runs a
 * long loop only "on stack" (OSR) and drops that code at the next full garbage collection, which
 * reading the next batch brings; every batch then started over in the interpreter and was
 * optimized again (about a third of the analysis's time, seen with --trace-opt). A function
 * called many times is compiled whole and keeps its code from batch to batch.
 */
export const KERNEL_RANGE = 1024;
