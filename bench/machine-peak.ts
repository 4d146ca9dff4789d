// The machine's fp32 peak, read from the machine: cores x FMA ports x vector lanes x 2 (an FMA is
// a multiply and an add) x clock. Lanes come from the CPU flags (AVX-512: 16 floats, AVX2: 8,
// else SSE: 4) and the clock from /proc/cpuinfo's "cpu MHz" (a VM shows its nominal clock). Two
// FMA ports is what the server cores this project runs on have; it is an assumption, printed.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import type { ModelConfig } from "../src/model/config.ts";

export interface Peak {
  cores: number;
  lanes: number;
  fmaPorts: number;
  ghz: number;
  isa: string;
  /** GFLOP/s of one core and of all cores. */
  perCore: number;
  total: number;
}

export function machinePeak(fmaPorts = 2): Peak {
  let info = "";
  try {
    info = readFileSync("/proc/cpuinfo", "utf8");
  } catch {}
  const flags = info.match(/^flags\s*:\s*(.*)$/m)?.[1].split(/\s+/) ?? [];
  const isa = flags.includes("avx512f") ? "AVX-512" : flags.includes("avx2") ? "AVX2" : "SSE";
  const lanes = isa === "AVX-512" ? 16 : isa === "AVX2" ? 8 : 4;
  const mhz = Number(info.match(/^cpu MHz\s*:\s*([\d.]+)$/m)?.[1] ?? cpus()[0]?.speed ?? 0);
  const ghz = mhz / 1000;
  const cores = cpus().length;
  const perCore = fmaPorts * lanes * 2 * ghz;
  return { cores, lanes, fmaPorts, ghz, isa, perCore, total: perCore * cores };
}

/**
 * FLOPs per token of one forward and backward pass of our Qwen3 layout at sequence length `seq`:
 * 2 per multiply-add; the backward pass costs twice the forward (gradients of activations and
 * of weights). Per layer: the q, k, v and o projections, the SwiGLU MLP (3 matrices) and causal
 * attention (scores and values over (seq + 1) / 2 positions on average); then the LM head.
 */
export function trainFlopsPerToken(
  c: Pick<
    ModelConfig,
    "hiddenSize" | "numLayers" | "numHeads" | "numKVHeads" | "headDim" | "intermediateSize" | "vocabSize"
  > & {
    seq: number;
    /** Count attention over every position, masked ones too (what a dense implementation does). */
    denseAttention?: boolean;
  },
): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKVHeads * c.headDim;
  const projections = c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize;
  const mlp = 3 * c.hiddenSize * c.intermediateSize;
  const attention = 2 * q * (c.denseAttention ? c.seq : (c.seq + 1) / 2);
  const forwardMacs = c.numLayers * (projections + mlp + attention) + c.hiddenSize * c.vocabSize;
  return 3 * 2 * forwardMacs;
}
