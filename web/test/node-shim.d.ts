// The few Node APIs the contract test uses (web/test/contract.test.ts), declared here instead of
// adding @types/node for two functions: the page itself never runs in Node.
declare module "node:fs" {
  export function readFileSync(path: URL | string, encoding: "utf8"): string;
  export function writeFileSync(path: string, data: string): void;
}
declare const process: { env: Record<string, string | undefined> };
