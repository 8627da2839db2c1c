// make_models.js writes the example models bundled with kerasgen, with TensorFlow.js as the
// oracle (an independent Keras implementation; npm @tensorflow/tfjs 4.22.0, pure-JS CPU
// backend). Each model directory gets a TF.js layers model (model.json + weights.bin, written
// by tfjs-layers' own serializer), a fixed input (input.npy) and TF.js' prediction
// (expected.npy). Run: cd examples/models && npm ci && node make_models.js
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// writeNPY writes a little-endian float32 .npy (format 1.0).
function writeNPY(file, shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
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

async function save(model, dir, input) {
  fs.mkdirSync(dir, {recursive: true});
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
  const y = model.predict(input);
  writeNPY(path.join(dir, 'input.npy'), input.shape, await input.data());
  writeNPY(path.join(dir, 'expected.npy'), y.shape, await y.data());
}

async function main() {
  await tf.setBackend('cpu');
  // mlp: a small classifier, 8 features -> 16 relu -> 8 tanh -> 3 softmax.
  const mlp = tf.sequential({name: 'mlp'});
  mlp.add(tf.layers.dense({inputShape: [8], units: 16, activation: 'relu', name: 'hidden_1'}));
  mlp.add(tf.layers.dense({units: 8, activation: 'tanh', name: 'hidden_2'}));
  mlp.add(tf.layers.dense({units: 3, activation: 'softmax', name: 'probs'}));
  let seed = 1;
  for (const w of mlp.weights) {
    w.write(tf.tensor(seeded(w.shape.reduce((a, b) => a * b, 1), seed++), w.shape));
  }
  await save(mlp, 'mlp', tf.tensor(seeded(5 * 8, 99), [5, 8]));
}

main();
