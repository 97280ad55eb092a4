declare module 'jsroot/io' {
  export function openFile(arg: string | ArrayBuffer | Blob): Promise<any>;
}
declare module 'jsroot/tree' {
  export class TSelector {
    tgtobj: Record<string, any>;
    addBranch(branch: any, name?: string, direct?: boolean): number;
    Begin(tree?: any): void;
    Process(entry: number): void;
    Terminate(res: boolean): void;
  }
  export function treeProcess(tree: any, selector: TSelector, args?: Record<string, unknown>): Promise<any>;
}
