// Config files: YAML checked against a zod schema. Unknown keys and wrong types are errors that
// name the file and the key path; a recipe's schema gives every option its default. Pure: takes text.
import { parse as parseYaml } from "yaml";
import type { z } from "zod";

export function readYaml(source: string, origin: string): unknown {
  try {
    return parseYaml(source) ?? {};
  } catch (e) {
    throw new Error(`${origin}: not valid YAML: ${(e as Error).message}`);
  }
}

/** Turns zod issues into one message per problem, each naming the key path. */
export function formatIssues(error: z.ZodError, origin: string): string {
  return error.issues
    .map((i) => {
      const path = i.path.join(".") || "(root)";
      if (i.code === "unrecognized_keys")
        return `${origin}: ${path === "(root)" ? "" : `${path}: `}unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
      return `${origin}: ${path}: ${i.message}`;
    })
    .join("\n");
}

/** YAML text checked against a schema; errors name the file (origin) and the field at fault. */
export function parseYamlConfig<S extends z.ZodType>(schema: S, source: string, origin: string): z.infer<S> {
  const result = schema.safeParse(readYaml(source, origin));
  if (!result.success) throw new Error(formatIssues(result.error, origin));
  return result.data;
}

/**
 * A mistake in a config file or an input the user named (a missing file, a bad field): the CLI
 * prints it without a stack trace and exits 2.
 */
export class ConfigError extends Error {}
