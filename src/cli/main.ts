// The `wz` command: one entry per subcommand, each in its own file.
import { ConfigError } from "../data/config-file.ts";
import { evalCommand } from "./eval-command.ts";
import { experimentCommand } from "./experiment-command.ts";
import { genrmCommand } from "./genrm-command.ts";
import { genrmEvalCommand } from "./genrm-eval-command.ts";
import { judgeCommand } from "./judge-command.ts";
import {
  exportCommand,
  finetuneCommand,
  importCommand,
  initModelCommand,
  sampleCommand,
  scoreCommand,
  tokenizerCommand,
} from "./model-commands.ts";
import { reportCommand } from "./report-command.ts";
import { runsCommand, showCommand } from "./runs-command.ts";
import { serveCommand } from "./serve-command.ts";
import { tinkerCommand } from "./tinker-command.ts";
import { trainCommand } from "./train-command.ts";
import { trainRmCommand } from "./train-rm-command.ts";

const HELP = `wz: train language models to write better with a pairwise judge and BRPO

Usage: wz <command> [options]    (wz <command> --help for a command's options)

Commands:
  train        run the Writing-Zero loop (BRPO) on the embedded engine
  runs         list runs
  show         print a run's step: metrics, references, responses and advantages
  report       write a self-contained HTML report of a run
  judge        judge preference pairs with the pairwise GenRM (or the rule-based judge)
  serve        the reward service (HTTP) for verl, OpenRLHF and TRL
  tinker       a Tinker-compatible training service (the tinker SDK, tinker-cookbook recipes)
  genrm-eval   judge accuracy on labelled pairs (consistency, position bias, length, votes)
  eval         compare policies: pairwise win rates, Bradley-Terry, criteria scores
  tokenizer    train a byte-level BPE tokenizer (tokenizer.json)
  init-model   write a randomly initialised Qwen3 model folder
  export       export a model folder to GGUF (f32, f16, bf16, q8_0, q4_0, q4_1)
  import       import a GGUF model (llama, qwen2, qwen3; quantised too) into a model folder
  sample       sample from a model folder or GGUF through llama.cpp
  score        log-probabilities of given responses under a model folder
  finetune     supervised fine-tuning of a model folder (full or LoRA)
  genrm        train a pairwise GenRM: labelled pairs, teacher traces, cold-start SFT, RLVR
  train-rm     train a scalar Bradley-Terry reward model on labelled pairs (HF layout)
  experiment   the reward-hacking contrast: scalar RM + GRPO against trained GenRM + BRPO, gold-graded
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  judge: judgeCommand,
  train: trainCommand,
  serve: serveCommand,
  tinker: tinkerCommand,
  "genrm-eval": genrmEvalCommand,
  eval: evalCommand,
  runs: runsCommand,
  show: showCommand,
  report: reportCommand,
  tokenizer: tokenizerCommand,
  "init-model": initModelCommand,
  export: exportCommand,
  import: importCommand,
  sample: sampleCommand,
  score: scoreCommand,
  finetune: finetuneCommand,
  genrm: genrmCommand,
  "train-rm": trainRmCommand,
  experiment: experimentCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`wz: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  return command(rest);
}

// Piping into `head` closes stdout early: that is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`wz: ${(e as Error).message}`);
      process.exitCode = 2;
    } else {
      // A runtime failure: the message, not a stack trace (WZ_DEBUG=1 shows the stack).
      console.error(process.env.WZ_DEBUG ? e : `wz: ${(e as Error).message ?? String(e)}`);
      process.exitCode = 1;
    }
  },
);
