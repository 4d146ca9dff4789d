// For the Tinker tests: a tiny Qwen3 folder our engine makes (a BPE tokenizer on the tiny world's
// corpus, random or briefly pretrained weights).
import { saveModelFolder } from "../../src/model/checkpoint.ts";
import { DecoderModel } from "../../src/model/decoder.ts";
import { pretrain } from "../../src/model/pretrain.ts";
import { tokenizerConfigJson, tokenizerJson, trainBpe } from "../../src/model/tokenizer/bpe-train.ts";
import { TextTokenizer } from "../../src/model/tokenizer/tokenizer.ts";
import { makeCorpus } from "../../src/world/constrained-writing.ts";

/**
 * Writes the model folder; with `pretrainSteps`, the weights first learn the corpus in the
 * role_colon chat form ("User: ...\n\nAssistant: ...") that the cookbook's renderer writes.
 */
export function tinyModelFolder(dir: string, pretrainSteps = 0): void {
  const examples = makeCorpus(300, 5);
  const texts = examples.map((e) => `User: ${e.prompt}\n\nAssistant: ${e.response}\n\nUser:`);
  const bpe = trainBpe(texts, 320);
  const tokenizer = new TextTokenizer(tokenizerJson(bpe), tokenizerConfigJson(bpe));
  const model = DecoderModel.random(
    {
      vocabSize: tokenizer.vocabSize,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKVHeads: 2,
      headDim: 8,
      intermediateSize: 64,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      tieWordEmbeddings: true,
      maxPositionEmbeddings: 256,
      bosTokenId: null,
      eosTokenId: tokenizer.eosId,
    },
    7,
  );
  if (pretrainSteps > 0)
    pretrain(
      model,
      texts.map((t) => tokenizer.encode(t)),
      { steps: pretrainSteps, batchSize: 16, lr: 3e-3, seed: 1 },
    );
  saveModelFolder(dir, model, tokenizer);
}
