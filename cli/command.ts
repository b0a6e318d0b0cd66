/** One mpcid command: its names (an alias may follow), a one-line summary, its usage, its action. */
export interface Command {
  /** The words that name it, e.g. 'token create'; the first is listed, the others are aliases. */
  readonly names: readonly string[];
  readonly summary: string;
  /** Its usage lines, starting with `mpcid NAME`. */
  readonly usage: string;
  /** Runs it with the arguments after its name; a UsageError means a wrong command line. */
  run(args: string[]): Promise<void>;
}
