/**
 * The few k6 APIs stepped-load.ts uses, declared by hand so that `tsc -p scenarios/k6` can check the
 * script without Node's types or an npm package. They describe k6 v2 (K6_VERSION in clusters/versions.env);
 * the real test (test/unit/load-k6.test.ts) runs the script in k6 and catches any drift.
 */
declare const __ENV: Record<string, string | undefined>;
/** open reads a file in the init context (relative paths resolve against the script's directory). */
declare function open(path: string): string;

declare module 'k6' {
  export function sleep(seconds: number): void;
}

declare module 'k6/execution' {
  const exec: {
    scenario: { name: string; startTime: number; iterationInTest: number };
    vu: { metrics: { tags: Record<string, string> } };
  };
  export default exec;
}

declare module 'k6/http' {
  export interface ExpectedStatuses {
    readonly brand: 'ExpectedStatuses';
  }
  export interface Params {
    timeout?: string | number;
    tags?: Record<string, string>;
    responseCallback?: ExpectedStatuses;
  }
  export interface Response {
    status: number;
    headers: Record<string, string | undefined>;
  }
  const http: {
    get(url: string, params?: Params): Response;
    expectedStatuses(...statuses: (number | { min: number; max: number })[]): ExpectedStatuses;
  };
  export default http;
}

declare module 'k6/metrics' {
  export class Counter {
    constructor(name: string);
    add(value: number, tags?: Record<string, string>): void;
  }
  export class Gauge {
    constructor(name: string);
    add(value: number, tags?: Record<string, string>): void;
  }
}
