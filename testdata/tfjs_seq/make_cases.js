// make_cases.js writes kerasgen's variable-length sequence cases: TF.js layers models whose
// input has an open length (batch_input_shape [null, null, F] or [null, null]), each run on two
// sequence lengths, with TensorFlow.js as the oracle (an independent Keras implementation; npm
// @tensorflow/tfjs 4.22.0, pure-JS CPU backend). internal/compile/tfjs_seq_test.go compiles
// every model once and runs the one generated package on both lengths.
//
// Each case directory gets:
//   model.json, weights.bin          the TF.js layers model, written by tfjs-layers' serializer
//   input_len<T>.npy                  a seeded batch-3 input of length T (5 and 9)
//   expected_len<T>.npy               the model's prediction for it
//   case.json                         description, oracle, the runs and the tolerance
//
// The masking cases (an Embedding with mask_zero, a Masking layer) use Keras' masking
// semantics, which TF.js implements for Embedding, Masking and the recurrent layers: a masked
// step leaves the RNN's state unchanged. TF.js' GlobalAveragePooling1D ignores the mask (a plain
// mean over all steps), unlike Keras' masked mean, so case mask_embedding_gap takes its values
// from a twin model whose pooling layer is Keras' masked mean written on TF.js core ops (its
// case.json says so).
//
// Run: cd testdata/tfjs_seq && npm install && node make_cases.js  (or link a node_modules that
// has @tensorflow/tfjs 4.22.0). The output is deterministic: weights and inputs come from a
// small seeded LCG.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const ORACLE = 'TensorFlow.js 4.22.0 (tfjs-layers, cpu backend)';
const LENGTHS = [5, 9];
const BATCH = 3;

// writeNPY writes a little-endian float32 .npy (format 1.0).
function writeNPY(file, shape, data) {
  const dims = shape.length === 0 ? '' : shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(new Float32Array(data).buffer);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// seeded uniform values in [-1, 1) (a small LCG, so the files are reproducible).
function seeded(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

const size = (shape) => shape.reduce((a, b) => a * b, 1);

// input makes a seeded input of the given shape, values lo + (hi-lo)*u with u uniform in [0,1).
function input(shape, seed, lo = -1, hi = 1) {
  const u = seeded(size(shape), seed);
  return tf.tensor(u.map((v) => lo + (hi - lo) * (v + 1) / 2), shape);
}

// ids makes seeded integer ids in [lo, hi] of shape [b, t] (as float32), then sets the given
// [row, step, id] entries (so that particular ids are sure to appear).
function ids(b, t, seed, lo, hi, force = []) {
  const u = seeded(b * t, seed);
  const v = Array.from(u, (x) => lo + Math.min(hi - lo, Math.floor((x + 1) / 2 * (hi - lo + 1))));
  for (const [r, s, id] of force) v[r * t + s] = id;
  return tf.tensor(v, [b, t]);
}

// pad zeroes the last n steps of row r of a [b, t] or [b, t, f] tensor (padding), and the steps
// listed in mid (all-zero steps inside the sequence).
function zeroSteps(x, rows) {
  const shape = x.shape;
  const [b, t] = shape;
  const per = shape.length === 3 ? shape[2] : 1;
  const v = x.dataSync().slice();
  for (const [r, steps] of rows) {
    for (const s of steps) {
      if (s < 0 || s >= t) continue;
      for (let k = 0; k < per; k++) v[(r * t + s) * per + k] = 0;
    }
  }
  return tf.tensor(v, shape);
}
const trailing = (t, n) => Array.from({length: n}, (_, i) => t - n + i);

// setWeights gives every weight of the model seeded values.
function setWeights(model, seed) {
  for (const w of model.weights) w.write(tf.tensor(seeded(size(w.shape), seed++), w.shape));
}

async function saveModel(model, dir) {
  await model.save(tf.io.withSaveHandler(async (art) => {
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(art.weightData));
    const json = {
      modelTopology: art.modelTopology,
      format: art.format,
      generatedBy: art.generatedBy,
      convertedBy: art.convertedBy,
      weightsManifest: [{paths: ['weights.bin'], weights: art.weightSpecs}],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json, null, 1) + '\n');
    return {modelArtifactsInfo: {dateSaved: new Date(0), modelTopologyType: 'JSON'}};
  }));
}

// writeCase saves a model and, for each length T, its input and prediction. inputs maps T to
// the input tensor. opts.twin is a model to compute the values with in place of the saved one
// (the same layers, names and weights, except those whose TF.js implementation departs from
// Keras); opts.oracle amends case.json's oracle; opts.masking marks a case that needs masking.
async function writeCase(name, description, model, inputs, opts = {}) {
  const dir = path.join(__dirname, name);
  fs.rmSync(dir, {recursive: true, force: true});
  fs.mkdirSync(dir, {recursive: true});
  await saveModel(model, dir);
  const meta = {description, oracle: opts.oracle || ORACLE, masking: !!opts.masking, runs: [], atol: 1e-5, rtol: 1e-4};
  const evalModel = opts.twin || model;
  for (const t of LENGTHS) {
    const x = inputs[t];
    if (x.shape[0] !== BATCH || x.shape[1] !== t) throw new Error(`${name}: input for T=${t} has shape ${x.shape}`);
    const y = evalModel.predict(x);
    const fin = `input_len${t}.npy`, fexp = `expected_len${t}.npy`;
    writeNPY(path.join(dir, fin), x.shape, await x.data());
    writeNPY(path.join(dir, fexp), y.shape, await y.data());
    if (opts.twin) {
      // How far TF.js' own layers are from the Keras values, for the record.
      const own = model.predict(x);
      const d = (await tf.max(tf.abs(tf.sub(own, y))).data())[0];
      meta.runs.push({length: t, input: fin, expected: fexp, tfjs_own_max_abs_diff: d});
    } else {
      meta.runs.push({length: t, input: fin, expected: fexp});
    }
  }
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(meta, null, 1) + '\n');
  console.log(`${name}: ${model.layers.length} layers, lengths ${LENGTHS.join(', ')}`);
}

const L = tf.layers;

// KerasGlobalAveragePooling1D is Keras' GlobalAveragePooling1D with a mask: sum(x*m)/sum(m) over
// the steps (TF.js' own layer ignores the mask); twin use only.
class KerasGlobalAveragePooling1D extends L.Layer {
  constructor(args) { super(args); this.supportsMasking = true; }
  computeOutputShape(s) { return [s[0], s[2]]; }
  computeMask() { return null; }
  call(x, kwargs) {
    return tf.tidy(() => {
      x = Array.isArray(x) ? x[0] : x;
      const mask = kwargs && kwargs.mask;
      if (mask == null) return tf.mean(x, 1);
      const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
      return tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1));
    });
  }
}
KerasGlobalAveragePooling1D.className = 'KerasGlobalAveragePooling1D';
tf.serialization.registerClass(KerasGlobalAveragePooling1D);

async function main() {
  await tf.setBackend('cpu');

  // (a) lstm_stack: LSTM(6, return_sequences, hard_sigmoid) -> LSTM(4) -> Dense(2).
  {
    const x = L.input({batchShape: [null, null, 3], name: 'x'});
    let h = L.lstm({units: 6, returnSequences: true, recurrentActivation: 'hardSigmoid', name: 'lstm_seq'}).apply(x);
    h = L.lstm({units: 4, recurrentActivation: 'sigmoid', name: 'lstm_last'}).apply(h);
    const y = L.dense({units: 2, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'lstm_stack'});
    setWeights(m, 1101);
    await writeCase('lstm_stack', "Input (batch, None, 3); LSTM(6, return_sequences, recurrent_activation hard_sigmoid) -> LSTM(4, recurrent_activation sigmoid) -> Dense(2). TF.js writes hardSigmoid as Keras 2's hard_sigmoid, clip(0.2x + 0.5, 0, 1) (tfjs-layers backend hardSigmoid); inputs in [-2, 2) so that some gates clip. One model, two lengths: T=5 and T=9, batch 3.", m,
      {5: input([BATCH, 5, 3], 1, -2, 2), 9: input([BATCH, 9, 3], 2, -2, 2)});
  }

  // (b) gru_seq: GRU(5, reset_after false, return_sequences) -> Dense(3) per step.
  {
    const x = L.input({batchShape: [null, null, 4], name: 'x'});
    const h = L.gru({units: 5, returnSequences: true, recurrentActivation: 'sigmoid', name: 'gru_seq'}).apply(x);
    const y = L.dense({units: 3, activation: 'tanh', name: 'dense_per_step'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'gru_seq'});
    setWeights(m, 1201);
    await writeCase('gru_seq', "Input (batch, None, 4); GRU(5, return_sequences, reset_after false, recurrent_activation sigmoid) -> Dense(3, tanh) on the rank-3 sequence (applied per step). TF.js' GRU cannot do reset_after true and writes reset_after false (bias [3*units]). Output (batch, T, 3). One model, two lengths: T=5 and T=9, batch 3.", m,
      {5: input([BATCH, 5, 4], 3), 9: input([BATCH, 9, 4], 4)});
  }

  // (c) simple_rnn_back: SimpleRNN(7, go_backwards) -> Dense(1).
  {
    const x = L.input({batchShape: [null, null, 2], name: 'x'});
    const h = L.simpleRNN({units: 7, goBackwards: true, name: 'simple_rnn_back'}).apply(x);
    const y = L.dense({units: 1, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'simple_rnn_back'});
    setWeights(m, 1301);
    await writeCase('simple_rnn_back', 'Input (batch, None, 2); SimpleRNN(7, tanh, go_backwards true: the steps are read last to first and the output is the state after step 0) -> Dense(1). One model, two lengths: T=5 and T=9, batch 3.', m,
      {5: input([BATCH, 5, 2], 5), 9: input([BATCH, 9, 2], 6)});
  }

  // (d) embedding_lstm: Embedding(20, 4) -> LSTM(3) -> Dense(2).
  {
    const x = L.input({batchShape: [null, null], name: 'ids'});
    let h = L.embedding({inputDim: 20, outputDim: 4, name: 'embedding'}).apply(x);
    h = L.lstm({units: 3, recurrentActivation: 'sigmoid', name: 'lstm'}).apply(h);
    const y = L.dense({units: 2, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'embedding_lstm'});
    setWeights(m, 1401);
    await writeCase('embedding_lstm', 'Input (batch, None) of integer ids in [0, 19] stored as float32 (ids 0 and 19 both appear; mask_zero false, so 0 is an ordinary id); Embedding(20, 4) -> LSTM(3, recurrent_activation sigmoid) -> Dense(2). One model, two lengths: T=5 and T=9, batch 3.', m,
      {5: ids(BATCH, 5, 7, 0, 19, [[0, 0, 0], [1, 4, 19], [2, 2, 0]]), 9: ids(BATCH, 9, 8, 0, 19, [[0, 8, 19], [1, 0, 0], [2, 5, 19]])});
  }

  // (e) bidirectional_gap: Bidirectional(LSTM(3, return_sequences), concat) -> GAP1D -> Dense(2).
  {
    const x = L.input({batchShape: [null, null, 3], name: 'x'});
    let h = L.bidirectional({layer: L.lstm({units: 3, returnSequences: true, recurrentActivation: 'sigmoid', name: 'lstm'}), mergeMode: 'concat', name: 'bidirectional'}).apply(x);
    h = L.globalAveragePooling1d({name: 'global_avg'}).apply(h);
    const y = L.dense({units: 2, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'bidirectional_gap'});
    setWeights(m, 1501);
    await writeCase('bidirectional_gap', "Input (batch, None, 3); Bidirectional(LSTM(3, return_sequences, recurrent_activation sigmoid), merge_mode 'concat') (the backward LSTM's sequence is reversed back to input order before the concat) -> GlobalAveragePooling1D over the open length -> Dense(2). One model, two lengths: T=5 and T=9, batch 3.", m,
      {5: input([BATCH, 5, 3], 9), 9: input([BATCH, 9, 3], 10)});
  }

  // (i) bidirectional_merges: the merge modes ave, mul and None (two outputs, concatenated).
  {
    const x = L.input({batchShape: [null, null, 3], name: 'x'});
    let h = L.bidirectional({layer: L.lstm({units: 3, returnSequences: true, recurrentActivation: 'sigmoid', name: 'lstm'}), mergeMode: 'ave', name: 'bi_ave'}).apply(x);
    h = L.bidirectional({layer: L.gru({units: 2, returnSequences: true, recurrentActivation: 'sigmoid', name: 'gru'}), mergeMode: 'mul', name: 'bi_mul'}).apply(h);
    const both = L.bidirectional({layer: L.simpleRNN({units: 2, name: 'rnn'}), mergeMode: null, name: 'bi_none'}).apply(h);
    h = L.concatenate({name: 'joined'}).apply(both);
    const y = L.dense({units: 2, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'bidirectional_merges'});
    setWeights(m, 1901);
    await writeCase('bidirectional_merges', "Input (batch, None, 3); Bidirectional(LSTM(3, return_sequences), merge_mode 'ave') -> Bidirectional(GRU(2, return_sequences, reset_after false), merge_mode 'mul') -> Bidirectional(SimpleRNN(2), merge_mode None: forward and backward outputs) -> Concatenate -> Dense(2). One model, two lengths: T=5 and T=9, batch 3.", m,
      {5: input([BATCH, 5, 3], 19), 9: input([BATCH, 9, 3], 20)});
  }

  // ---- masking: kerasgen does not support masking yet; the test lists these as refused. ----

  // (f) mask_embedding_lstm: Embedding(20, 4, mask_zero) -> LSTM(3) -> Dense(2), trailing padding.
  {
    const x = L.input({batchShape: [null, null], name: 'ids'});
    let h = L.embedding({inputDim: 20, outputDim: 4, maskZero: true, name: 'embedding'}).apply(x);
    h = L.lstm({units: 3, recurrentActivation: 'sigmoid', name: 'lstm'}).apply(h);
    const y = L.dense({units: 2, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'mask_embedding_lstm'});
    setWeights(m, 1601);
    // Tokens are ids 1..19 (19 forced in); 0 is padding, at the end of rows 1 and 2 only.
    const x5 = zeroSteps(ids(BATCH, 5, 11, 1, 19, [[0, 1, 19]]), [[1, trailing(5, 2)], [2, trailing(5, 4)]]);
    const x9 = zeroSteps(ids(BATCH, 9, 12, 1, 19, [[2, 0, 19]]), [[0, trailing(9, 3)], [2, trailing(9, 7)]]);
    await writeCase('mask_embedding_lstm', "Input (batch, None) of integer ids as float32; Embedding(20, 4, mask_zero true) -> LSTM(3, recurrent_activation sigmoid) -> Dense(2). Tokens are ids 1..19 (19 appears); id 0 is padding at the end of some rows (T=5: row 1 has 2 padding steps, row 2 has 4; T=9: row 0 has 3, row 2 has 7; the other rows none). Keras masking (which TF.js implements): a masked step leaves the LSTM's h and c unchanged, so the output is the state after the last real token, as if the padding were not there. Needs masking, which kerasgen does not support yet.", m,
      {5: x5, 9: x9}, {masking: true});
  }

  // (g) masking_gru: Masking(0) -> GRU(4, reset_after false) -> Dense(2), all-zero steps.
  {
    const x = L.input({batchShape: [null, null, 3], name: 'x'});
    let h = L.masking({maskValue: 0, name: 'masking'}).apply(x);
    h = L.gru({units: 4, recurrentActivation: 'sigmoid', name: 'gru'}).apply(h);
    const y = L.dense({units: 2, name: 'dense'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'masking_gru'});
    setWeights(m, 1701);
    const x5 = zeroSteps(input([BATCH, 5, 3], 13), [[0, [2]], [1, trailing(5, 2)], [2, [0, 3]]]);
    const x9 = zeroSteps(input([BATCH, 9, 3], 14), [[0, [1, 2, 8]], [2, [4].concat(trailing(9, 3))]]);
    await writeCase('masking_gru', "Input (batch, None, 3); Masking(mask_value 0) -> GRU(4, reset_after false, recurrent_activation sigmoid) -> Dense(2). Some time steps are all zeros, inside the sequence and at its end (T=5: row 0 step 2, row 1 steps 3-4, row 2 steps 0 and 3; T=9: row 0 steps 1, 2 and 8, row 2 steps 4 and 6-8; row 1 none); a step is masked when all its features equal mask_value, and a masked step leaves the GRU's state unchanged (Keras masking, which TF.js implements). Needs masking, which kerasgen does not support yet.", m,
      {5: x5, 9: x9}, {masking: true});
  }

  // (h) mask_embedding_gap: Embedding(mask_zero) -> GlobalAveragePooling1D (masked mean) -> Dense(2).
  {
    const build = (twin) => {
      const x = L.input({batchShape: [null, null], name: 'ids'});
      let h = L.embedding({inputDim: 20, outputDim: 4, maskZero: true, name: 'embedding'}).apply(x);
      h = (twin ? new KerasGlobalAveragePooling1D({name: 'global_avg'}) : L.globalAveragePooling1d({name: 'global_avg'})).apply(h);
      const y = L.dense({units: 2, name: 'dense'}).apply(h);
      const m = tf.model({inputs: x, outputs: y, name: 'mask_embedding_gap'});
      setWeights(m, 1801);
      return m;
    };
    const x5 = zeroSteps(ids(BATCH, 5, 15, 1, 19, [[1, 0, 19]]), [[0, trailing(5, 3)], [2, trailing(5, 1)]]);
    const x9 = zeroSteps(ids(BATCH, 9, 16, 1, 19, [[0, 3, 19]]), [[1, trailing(9, 5)], [2, trailing(9, 8)]]);
    await writeCase('mask_embedding_gap', "Input (batch, None) of integer ids as float32; Embedding(20, 4, mask_zero true) -> GlobalAveragePooling1D -> Dense(2). Tokens are ids 1..19 (19 appears); id 0 is padding at the end of some rows (T=5: row 0 has 3 padding steps, row 2 has 1; T=9: row 1 has 5, row 2 has 8). Keras' GlobalAveragePooling1D takes the masked mean sum(x*mask)/sum(mask) over the steps. TF.js 4.22's GlobalAveragePooling1D ignores the mask (a plain mean over all T steps), so model.json is TF.js' own file but the values come from a twin model whose pooling layer is Keras' masked mean on TF.js core ops (tf.sum, tf.mul, tf.div); case.json's tfjs_own_max_abs_diff is how far TF.js' own layer is from those values. Needs masking, which kerasgen does not support yet.", build(false),
      {5: x5, 9: x9}, {masking: true, twin: build(true), oracle: ORACLE + "; the masked GlobalAveragePooling1D is Keras' sum(x*mask)/sum(mask) on TF.js core ops (TF.js' own layer ignores the mask)"});
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
