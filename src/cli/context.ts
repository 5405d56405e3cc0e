/** What subcommands get from the entry point instead of touching the process themselves. */
export interface CliContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  stdout(text: string): void;
}
