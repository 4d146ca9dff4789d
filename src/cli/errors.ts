import { ConfigError } from "../data/config-file.ts";

/** A mistake in how the command was called: printed without a stack trace, exit code 2. */
export class UsageError extends ConfigError {}
