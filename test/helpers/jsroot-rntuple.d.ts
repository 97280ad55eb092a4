declare module 'jsroot/rntuple' {
  export function rntupleProcess(rntuple: any, selector: any, args?: Record<string, unknown>): Promise<any>;
}
