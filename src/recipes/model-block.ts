// The model block every recipe starts from: the tiny base (built once and cached by the content of
// its recipe), a Hugging Face folder, or a GGUF file (imported), and optionally LoRA adapters.
import { existsSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../data/config-file.ts";
import type { ComputeBackend } from "../model/kernels/types.ts";
import { LoraConfigSchema } from "../model/lora.ts";
import { buildTinyBase, TinyRecipeSchema } from "../world/tiny-model.ts";

export const ModelBlockSchema = z
  .object({
    /** "tiny": build (or reuse) the project's tiny base model; otherwise a Hugging Face folder or a GGUF file (imported, see wz import). */
    init: z.string().default("tiny"),
    cache: z.string().default(".wz-cache/tiny-base"),
    tiny: TinyRecipeSchema.prefault({}),
    /** Train LoRA adapters on a frozen base instead of every weight. */
    lora: LoraConfigSchema.optional(),
  })
  .strict();
export type ModelBlock = z.infer<typeof ModelBlockSchema>;

/** The base's folder (or GGUF): the tiny base is built into its cache first when it is not there; a
 * named base that does not exist is a ConfigError. */
export function checkBaseExists(model: ModelBlock): void {
  if (model.init !== "tiny" && !existsSync(model.init))
    throw new ConfigError(
      `model.init: ${model.init} does not exist (a Hugging Face folder, a GGUF file, or "tiny")`,
    );
}

export function baseModelPath(
  model: ModelBlock,
  o: { kernel: ComputeBackend; log: (line: string) => void },
): string {
  if (model.init === "tiny") return buildTinyBase(model.tiny, model.cache, o).dir;
  if (!existsSync(model.init))
    throw new ConfigError(
      `model.init: ${model.init} does not exist (a Hugging Face folder, a GGUF file, or "tiny")`,
    );
  return model.init;
}
