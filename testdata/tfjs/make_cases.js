// make_cases.js writes kerasgen's TF.js layer cases: small models that exercise one family of
// layers each, with TensorFlow.js as the oracle (an independent Keras implementation; npm
// @tensorflow/tfjs 4.22.0, pure-JS CPU backend). internal/compile/tfjs_cases_test.go compiles
// every case and compares the generated code's outputs, and every layer's output, with these.
//
// Each case directory gets:
//   model.json, weights.bin   the TF.js layers model, written by tfjs-layers' own serializer
//   input.npy | input_<i>.npy  seeded inputs, in model.inputs order
//   expected.npy | expected_<i>.npy  the model's prediction, in model.outputs order
//   layer_<key>.npy            every layer's output for the same input ("/" in nested keys
//                              becomes "__"), from a model whose outputs are every layer's output
//   case.json                  description, the file lists, the layer map and the tolerance
//
// Where TF.js 4.22 lacks a Keras layer, cannot run one, or departs from Keras, case.json's
// description and oracle say so: layers it lacks are written here on TF.js core ops with Keras
// 2's class names and configs (case synth_1d), and values it cannot compute the Keras way come
// from a "twin" model (same layers, names and weights, the few odd ones written on TF.js core
// ops with Keras' semantics: causal Conv1D, ELU alpha != 1, Softmax on a non-last axis,
// resizing and CenterCrop).
//
// Run: cd testdata/tfjs && npm install && node make_cases.js  (or link a node_modules that has
// @tensorflow/tfjs 4.22.0). The output is deterministic: weights and inputs come from a small
// seeded LCG.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const ORACLE = 'TensorFlow.js 4.22.0 (tfjs-layers, cpu backend)';

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

// setWeights gives every weight of the model seeded values; BatchNormalization moving
// variances become 0.5 + |v| so that they are positive.
function setWeights(model, seed) {
  for (const w of model.weights) {
    let v = seeded(size(w.shape), seed++);
    if (/moving_variance/.test(w.originalName || w.name)) v = v.map((x) => 0.5 + Math.abs(x));
    w.write(tf.tensor(v, w.shape));
  }
}

// scaleKernelsByFanIn scales every 4-D (convolution) kernel of the model by 1/sqrt(fan-in),
// as Keras' initializers do, so that activations stay near 1 through stacked convolutions:
// with [-1, 1) weights they grow ~10× a layer, and float32 sums of a few hundred such terms,
// in the oracle as in any other order, drift past the 1e-4 relative tolerance.
function scaleKernelsByFanIn(model) {
  for (const w of model.weights) {
    if (w.shape.length === 4) {
      const fanIn = w.shape[0] * w.shape[1] * w.shape[2];
      w.write(tf.mul(w.read(), 1 / Math.sqrt(fanIn)));
    }
  }
}

const isInput = (l) => l.getClassName() === 'InputLayer';
const isModel = (l) => l instanceof tf.LayersModel;
const fileKey = (k) => k.replace(/\//g, '__');

// layerOutputs computes every layer's first-call output (the output of inbound node 0, which
// is what kerasgen exposes for a layer called several times), with nested models' layers
// under "<outer>/<inner>" keys, as [key, tensor] pairs in graph order.
function layerOutputs(model, inputs, namesOnly = false) {
  const layers = model.layers.filter((l) => !isInput(l));
  if (namesOnly) {
    return layers.flatMap((l) => [[l.name], ...(isModel(l) ? layerOutputs(l, null, true).map(([k]) => [l.name + '/' + k]) : [])]);
  }
  // A layer's first call in this model: its first inbound node that belongs to the model (a
  // nested model's node 0 is its own construction, not a call of this model).
  const first = (l) => {
    for (let i = 0; i < l.inboundNodes.length; i++) if (model.containerNodes.has(`${l.name}_ib-${i}`)) return i;
    throw new Error(`layer ${l.name} has no node in model ${model.name}`);
  };
  const symbolic = layers.map((l) => l.getOutputAt(first(l)));
  // The inputs of nested models, to run their own layers on.
  const nested = layers.filter(isModel);
  const nestedIns = nested.map((l) => l.getInputAt(first(l)));
  // TF.js wants every model output once: probe the distinct tensors.
  const wanted = [...symbolic, ...nestedIns];
  const distinct = [...new Set(wanted)];
  const probe = tf.model({inputs: model.inputs, outputs: distinct});
  let got = probe.predict(inputs);
  if (!Array.isArray(got)) got = [got];
  const vals = wanted.map((t) => got[distinct.indexOf(t)]);
  const out = [];
  layers.forEach((l, i) => {
    out.push([l.name, vals[i]]);
    const j = nested.indexOf(l);
    if (j >= 0) {
      for (const [k, v] of layerOutputs(l, vals[layers.length + j])) out.push([l.name + '/' + k, v]);
    }
  });
  return out;
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

// writeCase saves a model, its inputs, its prediction and every layer's output. opts.twin is a
// model to compute the values with in place of one whose TF.js layers cannot run or depart
// from Keras: the same layers under the same names and with the same weights, except those
// few, which are Keras' definition written on TF.js core ops; opts.oracle amends case.json's.
async function writeCase(name, description, model, inputs, opts = {}) {
  const dir = path.join(__dirname, name);
  fs.rmSync(dir, {recursive: true, force: true});
  fs.mkdirSync(dir, {recursive: true});
  await saveModel(model, dir);
  const meta = {description, inputs: [], expected: [], layers: {}, atol: 1e-5, rtol: 1e-4, oracle: ORACLE};
  if (opts.oracle) meta.oracle = opts.oracle;
  const one = inputs.length === 1;
  for (let i = 0; i < inputs.length; i++) {
    const f = one ? 'input.npy' : `input_${i}.npy`;
    writeNPY(path.join(dir, f), inputs[i].shape, await inputs[i].data());
    meta.inputs.push(f);
  }
  const x = one ? inputs[0] : inputs;
  // Layers of the twin that the saved model does not have (helpers) are not recorded.
  const evalModel = opts.twin || model;
  const names = new Set(layerOutputs(model, null, true).map(([k]) => k));
  const layers = layerOutputs(evalModel, x).filter(([k]) => names.has(k));
  let y = evalModel.predict(x);
  if (!Array.isArray(y)) y = [y];
  for (let i = 0; i < y.length; i++) {
    const f = y.length === 1 ? 'expected.npy' : `expected_${i}.npy`;
    const v = y[i];
    writeNPY(path.join(dir, f), v.shape, await v.data());
    meta.expected.push(f);
  }
  for (const [k, v] of layers) {
    const f = `layer_${fileKey(k)}.npy`;
    writeNPY(path.join(dir, f), v.shape, await v.data());
    meta.layers[k] = f;
  }
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(meta, null, 1) + '\n');
  console.log(`${name}: ${model.layers.length} layers, ${y.length} output(s)`);
}

const L = tf.layers;

// ---- Layers TF.js 4.22 does not have, written here on TF.js core ops ----------------------
// Their class names and configs are Keras 2's, so that model.json reads like a TF.js export of
// those layers; their values are computed by TF.js core ops (slice, pad, tile, sub,
// depthwiseConv2d, conv2d, conv2dTranspose).

class Cropping1D extends L.Layer {
  constructor(args) { super(args); this.cropping = args.cropping; }
  computeOutputShape(s) { return [s[0], s[1] - this.cropping[0] - this.cropping[1], s[2]]; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    return tf.slice(x, [0, this.cropping[0], 0], [-1, x.shape[1] - this.cropping[0] - this.cropping[1], -1]);
  }
  getConfig() { return Object.assign({cropping: this.cropping}, super.getConfig()); }
}
Cropping1D.className = 'Cropping1D';
tf.serialization.registerClass(Cropping1D);

class ZeroPadding1D extends L.Layer {
  constructor(args) { super(args); this.padding = args.padding; }
  computeOutputShape(s) { return [s[0], s[1] + this.padding[0] + this.padding[1], s[2]]; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    return tf.pad(x, [[0, 0], this.padding, [0, 0]]);
  }
  getConfig() { return Object.assign({padding: this.padding}, super.getConfig()); }
}
ZeroPadding1D.className = 'ZeroPadding1D';
tf.serialization.registerClass(ZeroPadding1D);

class UpSampling1D extends L.Layer {
  constructor(args) { super(args); this.size = args.size; }
  computeOutputShape(s) { return [s[0], s[1] * this.size, s[2]]; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    const [b, t, c] = x.shape;
    return tf.reshape(tf.tile(tf.reshape(x, [b, t, 1, c]), [1, 1, this.size, 1]), [b, t * this.size, c]);
  }
  getConfig() { return Object.assign({size: this.size}, super.getConfig()); }
}
UpSampling1D.className = 'UpSampling1D';
tf.serialization.registerClass(UpSampling1D);

class Subtract extends L.Layer {
  computeOutputShape(s) { return s[0]; }
  call(x) { return tf.sub(x[0], x[1]); }
}
Subtract.className = 'Subtract';
tf.serialization.registerClass(Subtract);

// SeparableConv1D(filters, kernel_size, depth_multiplier, strides, padding, dilation 1).
class SeparableConv1D extends L.Layer {
  constructor(args) {
    super(args);
    Object.assign(this, {filters: args.filters, kernelSize: args.kernelSize, depthMultiplier: args.depthMultiplier,
      strides: args.strides, padding: args.padding});
  }
  build(s) {
    const c = s[2];
    const init = tf.initializers.zeros();
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [this.kernelSize, c, this.depthMultiplier], 'float32', init);
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, c * this.depthMultiplier, this.filters], 'float32', init);
    this.bias = this.addWeight('bias', [this.filters], 'float32', init);
    this.built = true;
  }
  outLen(t) { return this.padding === 'same' ? Math.ceil(t / this.strides) : Math.ceil((t - this.kernelSize + 1) / this.strides); }
  computeOutputShape(s) { return [s[0], this.outLen(s[1]), this.filters]; }
  call(x) {
    return tf.tidy(() => {
      x = Array.isArray(x) ? x[0] : x;
      const [, , c] = x.shape;
      const x4 = tf.expandDims(x, 1);
      const dk = tf.expandDims(this.depthwiseKernel.read(), 0);
      const d = tf.depthwiseConv2d(x4, dk, [1, this.strides], this.padding);
      const pk = tf.reshape(this.pointwiseKernel.read(), [1, 1, c * this.depthMultiplier, this.filters]);
      return tf.add(tf.squeeze(tf.conv2d(d, pk, 1, 'valid'), [1]), this.bias.read());
    });
  }
  getConfig() {
    return Object.assign({filters: this.filters, kernel_size: [this.kernelSize], depth_multiplier: this.depthMultiplier,
      strides: [this.strides], padding: this.padding, dilation_rate: [1], data_format: 'channels_last',
      activation: 'linear', use_bias: true}, super.getConfig());
  }
}
SeparableConv1D.className = 'SeparableConv1D';
tf.serialization.registerClass(SeparableConv1D);

// Conv1DTranspose(filters, kernel_size, strides, padding); kernel [k, filters, in].
class Conv1DTranspose extends L.Layer {
  constructor(args) {
    super(args);
    Object.assign(this, {filters: args.filters, kernelSize: args.kernelSize, strides: args.strides, padding: args.padding});
  }
  build(s) {
    const init = tf.initializers.zeros();
    this.kernel = this.addWeight('kernel', [this.kernelSize, this.filters, s[2]], 'float32', init);
    this.bias = this.addWeight('bias', [this.filters], 'float32', init);
    this.built = true;
  }
  outLen(t) { return this.padding === 'same' ? t * this.strides : (t - 1) * this.strides + Math.max(this.kernelSize, this.strides); }
  computeOutputShape(s) { return [s[0], this.outLen(s[1]), this.filters]; }
  call(x) {
    return tf.tidy(() => {
      x = Array.isArray(x) ? x[0] : x;
      const [b, t] = x.shape;
      const k = tf.expandDims(this.kernel.read(), 0);
      const y = tf.conv2dTranspose(tf.expandDims(x, 1), k, [b, 1, this.outLen(t), this.filters], [1, this.strides], this.padding);
      return tf.add(tf.squeeze(y, [1]), this.bias.read());
    });
  }
  getConfig() {
    return Object.assign({filters: this.filters, kernel_size: [this.kernelSize], strides: [this.strides],
      padding: this.padding, output_padding: null, dilation_rate: [1], data_format: 'channels_last',
      activation: 'linear', use_bias: true}, super.getConfig());
  }
}
Conv1DTranspose.className = 'Conv1DTranspose';
tf.serialization.registerClass(Conv1DTranspose);

// EluAlpha is Keras' ELU with any alpha (TF.js' ELU layer allows only alpha 1); twin use only.
class EluAlpha extends L.Layer {
  constructor(args) { super(args); this.alpha = args.alpha; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.sub(tf.exp(x), 1)));
  }
  getConfig() { return Object.assign({alpha: this.alpha}, super.getConfig()); }
}
EluAlpha.className = 'EluAlpha';
tf.serialization.registerClass(EluAlpha);

// SoftmaxAxis is a softmax over any axis (TF.js' softmax op allows only the last); twin use only.
class SoftmaxAxis extends L.Layer {
  constructor(args) { super(args); this.axis = args.axis; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    const e = tf.exp(tf.sub(x, tf.max(x, this.axis, true)));
    return tf.div(e, tf.sum(e, this.axis, true));
  }
  getConfig() { return Object.assign({axis: this.axis}, super.getConfig()); }
}
SoftmaxAxis.className = 'SoftmaxAxis';
tf.serialization.registerClass(SoftmaxAxis);

// TF.js 4.22's CenterCrop.computeOutputShape writes the cropped size into its input's shape
// array, corrupting the static shape of the layer before it (and of the model's input); give it
// a copy. This touches shape inference only, not values.
{
  const CenterCrop = L.centerCrop({height: 1, width: 1}).constructor;
  const orig = CenterCrop.prototype.computeOutputShape;
  CenterCrop.prototype.computeOutputShape = function (s) { return orig.call(this, s.slice()); };
}

// KerasResize resizes like Keras' Resizing and UpSampling2D(bilinear): half-pixel centers.
class KerasResize extends L.Layer {
  constructor(args) { super(args); Object.assign(this, {height: args.height, width: args.width, interpolation: args.interpolation}); }
  computeOutputShape(s) { return [s[0], this.height, this.width, s[3]]; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    const f = this.interpolation === 'bilinear' ? tf.image.resizeBilinear : tf.image.resizeNearestNeighbor;
    return f(x, [this.height, this.width], false, true);
  }
}
KerasResize.className = 'KerasResize';
tf.serialization.registerClass(KerasResize);

// KerasCenterCrop crops like Keras' CenterCrop: a slice at ((H-h)//2, (W-w)//2).
class KerasCenterCrop extends L.Layer {
  constructor(args) { super(args); Object.assign(this, {height: args.height, width: args.width}); }
  computeOutputShape(s) { return [s[0], this.height, this.width, s[3]]; }
  call(x) {
    x = Array.isArray(x) ? x[0] : x;
    const [, h, w] = x.shape;
    return tf.slice(x, [0, Math.floor((h - this.height) / 2), Math.floor((w - this.width) / 2), 0], [-1, this.height, this.width, -1]);
  }
}
KerasCenterCrop.className = 'KerasCenterCrop';
tf.serialization.registerClass(KerasCenterCrop);

// ---- Cases ---------------------------------------------------------------------------------

async function main() {
  await tf.setBackend('cpu');

  // reshape_ops: Permute, Reshape, Flatten, RepeatVector.
  {
    const x = L.input({shape: [4, 6], name: 'x'});
    let h = L.permute({dims: [2, 1], name: 'permute'}).apply(x); // [6,4]
    h = L.dense({units: 5, name: 'dense'}).apply(h); // [6,5]
    h = L.flatten({name: 'flatten'}).apply(h); // [30]
    h = L.repeatVector({n: 2, name: 'repeat'}).apply(h); // [2,30]
    h = L.permute({dims: [2, 1], name: 'permute_2'}).apply(h); // [30,2]
    h = L.reshape({targetShape: [15, 4], name: 'reshape'}).apply(h); // [15,4]
    h = L.dense({units: 3, name: 'dense_2'}).apply(h); // [15,3]
    h = L.reshape({targetShape: [5, 3, 3], name: 'reshape_3d'}).apply(h); // [5,3,3]
    const y = L.permute({dims: [3, 1, 2], name: 'permute_312'}).apply(h); // [3,5,3]
    const m = tf.model({inputs: x, outputs: y, name: 'reshape_ops'});
    setWeights(m, 101);
    await writeCase('reshape_ops', 'Permute([2,1]) twice and Permute([3,1,2]), Dense on rank-3 tensors, Flatten, RepeatVector(2), Reshape to [15,4] and [5,3,3]. (Reshape with -1 is in case reshape_minus1.)', m, [input([3, 4, 6], 1)]);
  }

  // reshape_minus1: Reshape with -1.
  {
    const x = L.input({shape: [4, 6], name: 'x'});
    let h = L.reshape({targetShape: [-1, 3], name: 'reshape_m1'}).apply(x); // [8,3]
    h = L.dense({units: 2, name: 'dense'}).apply(h); // [8,2]
    const y = L.reshape({targetShape: [2, -1, 2], name: 'reshape_m1_mid'}).apply(h); // [2,4,2]
    const m = tf.model({inputs: x, outputs: y, name: 'reshape_minus1'});
    setWeights(m, 151);
    await writeCase('reshape_minus1', "Reshape([-1,3]) and Reshape([2,-1,2]) around a Dense. TF.js' Reshape replaces -1 by null in its target shape, so model.json has target_shape [null, 3] and [2, null, 2] (TF.js reloads that; its static shapes leave that dimension unknown, so no Flatten can follow such a Reshape in TF.js).", m, [input([3, 4, 6], 1)]);
  }

  // crop_pad_2d: asymmetric ZeroPadding2D and Cropping2D, UpSampling2D nearest (2,3).
  {
    const x = L.input({shape: [5, 6, 2], name: 'x'});
    let h = L.zeroPadding2d({padding: [[1, 0], [2, 1]], name: 'zero_pad_2d'}).apply(x); // [6,9,2]
    h = L.cropping2D({cropping: [[1, 2], [0, 1]], name: 'crop_2d'}).apply(h); // [3,8,2]
    h = L.upSampling2d({size: [2, 3], name: 'up_nearest_2x3'}).apply(h); // [6,24,2]
    h = L.conv2d({filters: 3, kernelSize: 2, name: 'conv'}).apply(h); // [5,23,3]
    const y = L.zeroPadding2d({padding: [1, 2], name: 'zero_pad_sym'}).apply(h); // [7,27,3]
    const m = tf.model({inputs: x, outputs: y, name: 'crop_pad_2d'});
    setWeights(m, 201);
    await writeCase('crop_pad_2d', 'ZeroPadding2D((1,0),(2,1)), Cropping2D((1,2),(0,1)), UpSampling2D size (2,3) nearest (TF.js: resizeNearestNeighbor without align_corners/half-pixel, which for integer factors is an exact repeat), Conv2D, symmetric ZeroPadding2D((1,1),(2,2)).', m, [input([2, 5, 6, 2], 2)]);
  }

  // conv1d: strides with same padding, dilation, causal.
  {
    // TF.js builds and saves 'causal' Conv1D layers but cannot run them (conv1dWithBias: "The
    // support for CAUSAL padding mode ... is not implemented yet"), so the values come from a
    // twin model where each causal Conv1D is Keras' definition of it: a left zero padding of
    // dilation*(kernel-1) steps, then the same Conv1D with 'valid' padding.
    const build = (twin) => {
      const x = L.input({shape: [13, 3], name: 'x'});
      const causal = (args, h) => {
        if (!twin) return L.conv1d(Object.assign({padding: 'causal'}, args)).apply(h);
        const p = (args.dilationRate || 1) * (args.kernelSize - 1);
        h = new ZeroPadding1D({padding: [p, 0], name: args.name + '_twin_pad'}).apply(h);
        return L.conv1d(Object.assign({padding: 'valid'}, args)).apply(h);
      };
      const a = L.conv1d({filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'conv_same_s2'}).apply(x);
      const b = L.conv1d({filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', name: 'conv_same_d2'}).apply(x);
      const c = causal({filters: 2, kernelSize: 3, dilationRate: 2, activation: 'relu', name: 'conv_causal_d2'}, x);
      const d = L.conv1d({filters: 3, kernelSize: 4, strides: 3, padding: 'valid', name: 'conv_valid_s3'}).apply(x);
      const e = causal({filters: 2, kernelSize: 2, useBias: false, name: 'conv_causal_nobias'}, c);
      const f = L.conv1d({filters: 2, kernelSize: 4, strides: 2, padding: 'same', name: 'conv_same_k4_s2'}).apply(x);
      const m = tf.model({inputs: x, outputs: [a, b, c, d, e, f], name: 'conv1d'});
      setWeights(m, 301);
      return m;
    };
    await writeCase('conv1d', "Conv1D k3 'same' strides 2; Conv1D k3 'same' dilation 2; Conv1D k3 'causal' dilation 2 + relu; Conv1D k4 'valid' strides 3; Conv1D k2 'causal' without bias; Conv1D k4 'same' strides 2 (even kernel: the extra padding goes after). TF.js' conv1d refuses strides > 1 together with dilation > 1 ('Either stride or dilation must be 1'), so those are separate layers. TF.js saves 'causal' Conv1D but cannot run it, so every value comes from a twin TF.js model in which each causal Conv1D is a left zero padding of dilation*(kernel-1) steps followed by the same Conv1D 'valid' (Keras' definition of causal).", build(false), [input([2, 13, 3], 3)], {twin: build(true)});
  }

  // conv2d: dilation, transposed convolutions, depthwise, separable.
  {
    const x = L.input({shape: [7, 8, 3], name: 'x'});
    const outs = [
      L.conv2d({filters: 4, kernelSize: 3, dilationRate: 2, name: 'conv_d2_valid'}).apply(x),
      L.conv2d({filters: 2, kernelSize: [3, 2], dilationRate: [2, 3], padding: 'same', name: 'conv_d23_same'}).apply(x),
      L.conv2d({filters: 3, kernelSize: 3, strides: [2, 3], padding: 'same', activation: 'relu', name: 'conv_s23_same'}).apply(x),
      L.conv2dTranspose({filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'convT_k3_s2_same'}).apply(x),
      L.conv2dTranspose({filters: 2, kernelSize: 3, strides: 2, padding: 'valid', name: 'convT_k3_s2_valid'}).apply(x),
      L.conv2dTranspose({filters: 2, kernelSize: 4, strides: 2, padding: 'same', name: 'convT_k4_s2_same'}).apply(x),
      L.conv2dTranspose({filters: 2, kernelSize: 4, strides: 2, padding: 'valid', name: 'convT_k4_s2_valid'}).apply(x),
      L.conv2dTranspose({filters: 3, kernelSize: [2, 3], strides: [1, 2], padding: 'valid', name: 'convT_k23_s12_valid'}).apply(x),
      L.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', name: 'depthwise_m2_s2_same'}).apply(x),
      L.separableConv2d({filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'separable_s2_same'}).apply(x),
    ];
    const m = tf.model({inputs: x, outputs: outs, name: 'conv2d'});
    setWeights(m, 401);
    await writeCase('conv2d', "Conv2D dilation 2 'valid'; Conv2D kernel (3,2) dilation (2,3) 'same'; Conv2D strides (2,3) 'same' + relu; Conv2DTranspose kernel 3 and 4, strides 2, 'same' and 'valid'; Conv2DTranspose kernel (2,3) strides (1,2) 'valid'; DepthwiseConv2D depth_multiplier 2 strides 2 'same'; SeparableConv2D strides 2 'same' (depth_multiplier 1: see case separable_conv2d_m2). (TF.js 4.22's Conv2D has no groups argument, so grouped convolution is not covered.)", m, [input([2, 7, 8, 3], 4)]);
  }

  // winograd_conv2d: 3×3 stride-1 convolutions kerasgen runs with Winograd's algorithm.
  {
    const x = L.input({shape: [9, 11, 12], name: 'x'});
    const a = L.conv2d({filters: 20, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_12_20_same'}).apply(x);
    const b = L.conv2d({filters: 16, kernelSize: 3, padding: 'same', name: 'conv_20_16_same'}).apply(a);
    const c = L.conv2d({filters: 16, kernelSize: 1, name: 'proj_12_16'}).apply(x);
    const d = L.add({name: 'add'}).apply([b, c]);
    const e = L.reLU({name: 'relu'}).apply(d);
    const f = L.conv2d({filters: 32, kernelSize: 3, padding: 'valid', activation: 'relu', name: 'conv_16_32_valid'}).apply(e); // [7, 9, 32]
    const g = L.conv2d({filters: 32, kernelSize: 3, padding: 'same', name: 'conv_32_32_same'}).apply(f);
    const m = tf.model({inputs: x, outputs: [g, a], name: 'winograd_conv2d'});
    setWeights(m, 431);
    scaleKernelsByFanIn(m);
    await writeCase('winograd_conv2d', "3×3 stride-1 Conv2D layers of the kinds kerasgen runs with Winograd's minimal filtering: 12→20 'same' + relu and 20→16 'same' (channel counts off the multiples of 16: F(2×2, 3×3)), the second added to a 1×1 projection of the input and a ReLU (the residual fused into its output transform), then 16→32 'valid' + relu and 32→32 'same' (F(4×4, 3×3)); an odd width (11) and output sizes 9×11 and 7×9 cut the last tiles.", m, [input([2, 9, 11, 12], 43)]);
  }

  // upsampled_conv2d: UpSampling2D(2) then a 3×3 'same' Conv2D, which kerasgen runs as four
  // 2×2 convolutions of the small image (runtime.Conv2DUpsampled).
  {
    const x = L.input({shape: [5, 7, 6], name: 'x'});
    const u1 = L.upSampling2d({size: [2, 2], name: 'up_1'}).apply(x);
    const c1 = L.conv2d({filters: 20, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_6_20'}).apply(u1);
    const u2 = L.upSampling2d({size: [2, 2], name: 'up_2'}).apply(c1);
    const c2 = L.conv2d({filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', name: 'conv_20_1'}).apply(u2);
    const u3 = L.upSampling2d({size: [2, 2], name: 'up_3'}).apply(x);
    const c3 = L.conv2d({filters: 40, kernelSize: 3, padding: 'same', name: 'conv_6_40'}).apply(u3);
    const m = tf.model({inputs: x, outputs: [c2, c3], name: 'upsampled_conv2d'});
    setWeights(m, 461);
    scaleKernelsByFanIn(m);
    await writeCase('upsampled_conv2d', "UpSampling2D(2) (nearest) then a 3×3 'same' Conv2D, three times: 6→20 + relu, then upsampled again 20→1 + sigmoid (one output channel), and 6→40 (wider than one 32-column panel) on a second branch; odd sizes 5×7. kerasgen folds each upsampling into its convolution (four 2×2 phase convolutions of the small image), so the upsampled images are never stored.", m, [input([2, 5, 7, 6], 47)]);
  }

  // separable_conv2d_m2: TF.js' SeparableConv2D config lacks depth_multiplier.
  {
    const x = L.input({shape: [5, 6, 2], name: 'x'});
    const y = L.separableConv2d({filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'separable_m2_same'}).apply(x);
    const m = tf.model({inputs: x, outputs: y, name: 'separable_conv2d_m2'});
    setWeights(m, 451);
    await writeCase('separable_conv2d_m2', "SeparableConv2D depth_multiplier 2 'same'. TF.js 4.22's SeparableConv getConfig leaves depth_multiplier out, so model.json says nothing of it while depthwise_kernel is [3,3,2,2]: TF.js itself cannot reload this file ('Shape mismatch: [3,3,2,1] vs. [3,3,2,2]'). The values are those of the model as built.", m, [input([2, 5, 6, 2], 4)]);
  }

  // pooling_1d
  {
    const x = L.input({shape: [11, 3], name: 'x'});
    const outs = [
      L.maxPooling1d({poolSize: 2, name: 'max_p2'}).apply(x),
      L.maxPooling1d({poolSize: 3, strides: 2, padding: 'same', name: 'max_p3_s2_same'}).apply(x),
      L.averagePooling1d({poolSize: 2, strides: 2, padding: 'same', name: 'avg_p2_s2_same'}).apply(x),
      L.averagePooling1d({poolSize: 3, strides: 2, padding: 'same', name: 'avg_p3_s2_same'}).apply(x),
      L.averagePooling1d({poolSize: 3, strides: 1, padding: 'valid', name: 'avg_p3_valid'}).apply(x),
      L.globalMaxPooling1d({name: 'global_max_1d'}).apply(x),
      L.globalAveragePooling1d({name: 'global_avg_1d'}).apply(x),
      L.dense({units: 2, name: 'dense'}).apply(x),
    ];
    const m = tf.model({inputs: x, outputs: outs, name: 'pooling_1d'});
    setWeights(m, 551);
    await writeCase('pooling_1d', "MaxPooling1D(2); MaxPooling1D(3, strides 2, 'same'); AveragePooling1D(2 and 3, strides 2, 'same') on odd length 11 (TF.js' avg pool divides by the count of in-bounds elements: padding is excluded, as in Keras); AveragePooling1D(3, 'valid', strides 1); GlobalMaxPooling1D; GlobalAveragePooling1D; and a Dense branch (a model without weights is case no_weights).", m, [input([3, 11, 3], 5)]);
  }

  // pooling_2d
  {
    const x = L.input({shape: [7, 8, 2], name: 'x'});
    const outs = [
      L.maxPooling2d({poolSize: 3, strides: 2, padding: 'same', name: 'max_p3_s2_same'}).apply(x),
      L.averagePooling2d({poolSize: 3, strides: 2, padding: 'same', name: 'avg_p3_s2_same'}).apply(x),
      L.averagePooling2d({poolSize: [2, 3], padding: 'valid', name: 'avg_p23_valid'}).apply(x),
      L.maxPooling2d({poolSize: 2, name: 'max_p2'}).apply(x),
      L.globalMaxPooling2d({name: 'global_max_2d'}).apply(x),
      L.globalAveragePooling2d({name: 'global_avg_2d'}).apply(x),
      L.dense({units: 2, name: 'dense'}).apply(x),
    ];
    const m = tf.model({inputs: x, outputs: outs, name: 'pooling_2d'});
    setWeights(m, 561);
    await writeCase('pooling_2d', "MaxPooling2D(3, strides 2, 'same'); AveragePooling2D(3, strides 2, 'same') (padding excluded from the average: TF.js' pool divides by the in-bounds count); AveragePooling2D((2,3), 'valid'); MaxPooling2D(2); GlobalMaxPooling2D; GlobalAveragePooling2D; a Dense branch (a model without weights is case no_weights). (TF.js 4.22's global pooling layers have no keepdims flag, so keepdims is not covered.)", m, [input([2, 7, 8, 2], 6)]);
  }

  // normalization
  {
    const x = L.input({shape: [4, 5, 3], name: 'x'});
    const bn = L.batchNormalization({name: 'bn'}).apply(x);
    const bnNoScale = L.batchNormalization({scale: false, epsilon: 1e-2, name: 'bn_noscale_eps'}).apply(bn);
    const bnNoCenter = L.batchNormalization({center: false, name: 'bn_nocenter'}).apply(bnNoScale);
    const bnNeither = L.batchNormalization({center: false, scale: false, epsilon: 1e-2, name: 'bn_plain'}).apply(bnNoCenter);
    const ln = L.layerNormalization({axis: -1, epsilon: 1e-3, name: 'ln_last'}).apply(bnNeither);
    const ln123 = L.layerNormalization({axis: [1, 2, 3], name: 'ln_axes_123'}).apply(x);
    const ln23 = L.layerNormalization({axis: [2, 3], epsilon: 1e-2, name: 'ln_axes_23'}).apply(ln);
    const flat = L.flatten({name: 'flat'}).apply(ln23);
    const d = L.dense({units: 4, name: 'dense'}).apply(flat);
    const bnDense = L.batchNormalization({epsilon: 1e-2, name: 'bn_dense'}).apply(d);
    const lnNoScale = L.layerNormalization({scale: false, center: false, name: 'ln_plain'}).apply(bnDense);
    const m = tf.model({inputs: x, outputs: [lnNoScale, ln123], name: 'normalization'});
    setWeights(m, 501);
    await writeCase('normalization', 'BatchNormalization on a 4-D map (default; center only with epsilon 1e-2; scale only; neither with epsilon 1e-2) and on a Dense output (epsilon 1e-2); moving variances 0.5 + |seeded|. LayerNormalization axis -1 epsilon 1e-3; axis [2,3] (trailing) epsilon 1e-2; axis [1,2,3]; axis -1 without scale and center. (Non-trailing axes [1,2] are in case layernorm_axes_12.)', m, [input([3, 4, 5, 3], 7, -2, 3)]);
  }

  // layernorm_axes_12: LayerNormalization over non-trailing axes.
  {
    const x = L.input({shape: [3, 4, 2], name: 'x'});
    const y = L.layerNormalization({axis: [1, 2], epsilon: 1e-2, name: 'ln_axes_12'}).apply(x);
    const m = tf.model({inputs: x, outputs: y, name: 'layernorm_axes_12'});
    setWeights(m, 521);
    await writeCase('layernorm_axes_12', 'LayerNormalization axis [1,2] of a (h,w,c) map, epsilon 1e-2: moments over h and w for each channel and batch row; gamma and beta of shape [h,w] (TF.js and Keras: the shape of the normalised axes), broadcast over channels.', m, [input([2, 3, 4, 2], 9, -2, 2)]);
  }

  // merge
  {
    const a = L.input({shape: [5], name: 'a'});
    const b = L.input({shape: [5], name: 'b'});
    const c = L.input({shape: [5], name: 'c'});
    const p = L.input({shape: [3, 4], name: 'p'});
    const q = L.input({shape: [2, 4], name: 'q'});
    const outs = [
      L.add({name: 'add3'}).apply([a, b, c]),
      L.multiply({name: 'multiply3'}).apply([a, b, c]),
      L.average({name: 'average'}).apply([a, b]),
      L.maximum({name: 'maximum3'}).apply([a, b, c]),
      L.minimum({name: 'minimum'}).apply([b, c]),
      L.concatenate({axis: 1, name: 'concat_axis1'}).apply([p, q]), // [5,4]
      L.concatenate({axis: -1, name: 'concat_last'}).apply([a, b]),
      L.dot({axes: -1, name: 'dot_last'}).apply([a, b]), // [1]
      L.dot({axes: [2, 2], name: 'dot_22'}).apply([p, q]), // [3,2]
      L.dot({axes: -1, normalize: true, name: 'dot_normalize'}).apply([a, c]),
      L.dot({axes: [1, 1], name: 'dot_11'}).apply([p, p]), // [4,4]
      L.dot({axes: 2, normalize: true, name: 'dot_22_normalize'}).apply([p, q]),
      L.dense({units: 2, name: 'dense'}).apply(a),
    ];
    const m = tf.model({inputs: [a, b, c, p, q], outputs: outs, name: 'merge'});
    setWeights(m, 571);
    await writeCase('merge', 'Add and Multiply and Maximum of 3 inputs; Average; Minimum; Concatenate axis 1 of rank-3 tensors and axis -1 of rank-2; Dot axes -1 on rank 2 (output [1]); Dot axes [2,2] and [1,1] on rank 3; Dot normalize true (L2-normalises both inputs along the dot axes first) on rank 2 and rank 3; a Dense branch. (TF.js has no Subtract layer: see case synth_1d.)', m,
      [input([4, 5], 8), input([4, 5], 9), input([4, 5], 10), input([4, 3, 4], 11), input([4, 2, 4], 12)]);
  }

  // activations_dense: every activation as a Dense activation.
  const acts = ['relu', 'elu', 'selu', 'softplus', 'softsign', 'tanh', 'sigmoid', 'hardSigmoid', 'relu6', 'swish', 'mish', 'gelu', 'linear', 'softmax'];
  {
    const x = L.input({shape: [6], name: 'x'});
    const outs = acts.map((a) => L.dense({units: 4, activation: a, name: `dense_${a.toLowerCase()}`}).apply(x));
    const y = L.concatenate({name: 'concat'}).apply(outs);
    const m = tf.model({inputs: x, outputs: y, name: 'activations_dense'});
    setWeights(m, 601);
    // Scale the kernels so that pre-activations reach about +-6 (relu6 and hard_sigmoid clip).
    for (const w of m.weights) if (/kernel/.test(w.originalName || w.name)) w.write(tf.mul(w.read(), 2.5));
    await writeCase('activations_dense', 'Dense(4) with each activation: ' + acts.join(', ') + ", concatenated. TF.js writes hardSigmoid as Keras 2's hard_sigmoid: clip(0.2x + 0.5, 0, 1) (tfjs-layers backend hardSigmoid); gelu is the exact erf form x*0.5*(1+erf(x/sqrt2)) (TF.js' erf is the Abramowitz-Stegun 7.1.26 approximation, |error| <= 1.5e-7); swish is x*sigmoid(x); mish is x*tanh(softplus(x)); selu uses Keras' alpha/scale constants.", m, [input([5, 6], 13, -2, 2)]);
  }

  // activation_layers: the same activations as Activation layers.
  {
    const x = L.input({shape: [3, 4], name: 'x'});
    const outs = acts.map((a) => L.activation({activation: a, name: `act_${a.toLowerCase()}`}).apply(x));
    const y = L.concatenate({axis: 1, name: 'concat'}).apply(outs);
    const d = L.dense({units: 2, name: 'dense'}).apply(x);
    const m = tf.model({inputs: x, outputs: [y, d], name: 'activation_layers'});
    setWeights(m, 651);
    await writeCase('activation_layers', 'Activation layers on a rank-3 input (softmax over the last axis): ' + acts.join(', ') + '. Inputs in [-7, 7) so that relu6 and hard_sigmoid clip. A Dense branch gives the model a weight.', m, [input([2, 3, 4], 14, -7, 7)]);
  }

  // advanced_activations
  {
    // TF.js' ELU layer refuses any alpha but 1 (and its call ignores alpha), so the saved model
    // has an ELU whose alpha is set to 0.7 after construction (getConfig writes it), and the
    // values come from a twin where that layer is Keras' ELU written on TF.js core ops.
    const build = (twin) => {
      const x = L.input({shape: [4, 5, 3], name: 'x'});
      const s = L.input({shape: [3, 4], name: 's'});
      let elu07;
      if (twin) {
        elu07 = new EluAlpha({alpha: 0.7, name: 'elu_07'});
      } else {
        elu07 = L.elu({name: 'elu_07'});
        elu07.alpha = 0.7;
      }
      const outs = [
        L.leakyReLU({alpha: 0.2, name: 'leaky_relu_02'}).apply(x),
        elu07.apply(x),
        L.elu({name: 'elu_default'}).apply(x),
        L.prelu({sharedAxes: [1, 2], name: 'prelu_shared12'}).apply(x),
        L.prelu({name: 'prelu_full'}).apply(x),
        L.thresholdedReLU({theta: 0.5, name: 'thresholded_relu_05'}).apply(x),
        L.reLU({maxValue: 6, name: 'relu_max6'}).apply(x),
        L.reLU({name: 'relu_plain'}).apply(x),
        (twin ? new SoftmaxAxis({axis: 1, name: 'softmax_axis1'}) : L.softmax({axis: 1, name: 'softmax_axis1'})).apply(s),
        L.softmax({axis: -1, name: 'softmax_last'}).apply(s),
      ];
      const m = tf.model({inputs: [x, s], outputs: outs, name: 'advanced_activations'});
      setWeights(m, 701);
      return m;
    };
    await writeCase('advanced_activations', "LeakyReLU(alpha 0.2); ELU(alpha 0.7) and ELU(); PReLU with shared_axes [1,2] on a 4-D input (alpha [1,1,3]) and without (alpha [4,5,3]), seeded alphas; ThresholdedReLU(theta 0.5) (TF.js: x * (x > theta); no input is within 0.1 of 0.5); ReLU(max_value 6) and plain ReLU; Softmax layer axis 1 and axis -1 of a rank-3 tensor (TF.js' Softmax layer defaults to axis 1, not Keras' -1, so both are explicit; TF.js' softmax op supports only the last axis, so the axis-1 values come from the twin, where that layer is exp(x - max) / sum over axis 1 on TF.js core ops). Inputs in [-8, 8). TF.js' ELU layer refuses alpha != 1 and its call ignores alpha, so model.json's ELU(alpha 0.7) was written by TF.js from an ELU whose alpha was set after construction, and the values come from a twin model where that layer is x > 0 ? x : 0.7*(exp(x)-1) on TF.js core ops.", build(false),
      [input([2, 4, 5, 3], 15, -8, 8), input([2, 3, 4], 16, -3, 3)], {twin: build(true)});
  }

  // noise_dropout: identity at inference.
  {
    const x = L.input({shape: [4, 3], name: 'x'});
    let h = L.dense({units: 6, name: 'dense'}).apply(x);
    h = L.dropout({rate: 0.5, name: 'dropout'}).apply(h);
    h = L.spatialDropout1d({rate: 0.4, name: 'spatial_dropout_1d'}).apply(h);
    h = L.gaussianNoise({stddev: 0.3, name: 'gaussian_noise'}).apply(h);
    h = L.gaussianDropout({rate: 0.2, name: 'gaussian_dropout'}).apply(h);
    h = L.alphaDropout({rate: 0.1, name: 'alpha_dropout'}).apply(h);
    const y = L.dense({units: 2, activation: 'tanh', name: 'out'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'noise_dropout'});
    setWeights(m, 801);
    await writeCase('noise_dropout', 'Dropout(0.5), SpatialDropout1D(0.4), GaussianNoise(0.3), GaussianDropout(0.2), AlphaDropout(0.1) between two Dense layers: all identity at inference.', m, [input([3, 4, 3], 17)]);
  }

  // preprocessing: Rescaling, then the resizing layers, whose TF.js implementations depart
  // from Keras (see the description); their values come from a twin with Keras' semantics.
  {
    const build = (twin) => {
      const x = L.input({shape: [6, 8, 2], name: 'x'});
      const r = L.rescaling({scale: 1 / 127.5, offset: -1, name: 'rescaling'}).apply(x);
      const resize = (h, w, mode, name) => (twin ? new KerasResize({height: h, width: w, interpolation: mode, name})
        : L.resizing({height: h, width: w, interpolation: mode, name})).apply(r);
      const crop = (h, w, name) => (twin ? new KerasCenterCrop({height: h, width: w, name}) : L.centerCrop({height: h, width: w, name})).apply(r);
      const outs = [
        (twin ? new KerasResize({height: 12, width: 24, interpolation: 'bilinear', name: 'up_bilinear_2x3'})
          : L.upSampling2d({size: [2, 3], interpolation: 'bilinear', name: 'up_bilinear_2x3'})).apply(r),
        resize(9, 11, 'bilinear', 'resize_bilinear_up'),
        resize(4, 5, 'bilinear', 'resize_bilinear_down'),
        resize(9, 12, 'nearest', 'resize_nearest_up'),
        resize(4, 5, 'nearest', 'resize_nearest_down'),
        crop(3, 5, 'center_crop'),
        crop(4, 4, 'center_crop_even'),
        crop(5, 7, 'center_crop_odd'),
      ];
      const m = tf.model({inputs: x, outputs: [r, ...outs, L.dense({units: 2, name: 'dense'}).apply(r)], name: 'preprocessing'});
      setWeights(m, 851);
      return m;
    };
    const m = build(false);
    const x = input([2, 6, 8, 2], 18, 0, 255);
    // How far TF.js' own layers are from Keras', for the description.
    const twin = build(true);
    const notes = [];
    const r = m.getLayer('rescaling').apply(x);
    for (const l of m.layers.slice(2, -1)) {
      const want = twin.getLayer(l.name).apply(r);
      const got = l.apply(r); // eager, on a tensor (in a model TF.js' Resizing gets a list and fails)
      const d = (await tf.max(tf.abs(tf.sub(want, got))).data())[0];
      notes.push(`${l.name} ${d.toExponential(1)}`);
    }
    await writeCase('preprocessing',
      "Rescaling(scale 1/127.5, offset -1) of inputs in [0, 255), then UpSampling2D size (2,3) bilinear, Resizing bilinear (6x8 -> 9x11 and -> 4x5), Resizing nearest (-> 9x12 and -> 4x5), CenterCrop (-> 3x5, -> 4x4 and -> 5x7: Keras offsets (0,0), TF.js' bumped width offset 1). " +
      "TF.js departs from Keras on all of these but Rescaling: its UpSampling2D bilinear calls tf.image.resizeBilinear without half-pixel centers (the legacy asymmetric mapping src = dst*in/out); its Resizing calls resizeBilinear / resizeNearestNeighbor with alignCorners = !cropToAspectRatio = true (and fails inside a functional model: its call passes the input list to the resize op); its CenterCrop samples with cropAndResize('nearest') on boxes normalised by H and W and bumps a 0 width offset to 1. " +
      "Keras (2 and 3) resizes with half-pixel centers and CenterCrop slices at offset ((H-h)//2, (W-w)//2), so these layers' values come from a twin model whose resize and crop layers are TF.js core ops with Keras' conventions: tf.image.resizeBilinear / resizeNearestNeighbor(alignCorners false, halfPixelCenters true) and tf.slice. " +
      `TF.js' own layers differ from those values by up to: ${notes.join(', ')}.`,
      m, [x], {twin, oracle: ORACLE + "; resize and crop layers: TF.js core image ops with Keras' half-pixel convention"});
  }

  // shared_layer: a layer called three times.
  {
    const a = L.input({shape: [5], name: 'a'});
    const b = L.input({shape: [5], name: 'b'});
    const shared = L.dense({units: 4, activation: 'elu', name: 'shared_dense'});
    const sa = shared.apply(a);
    const sb = shared.apply(b);
    const cat = L.concatenate({name: 'concat'}).apply([sa, sb]);
    const sc = shared.apply(L.add({name: 'add_ab'}).apply([a, b]));
    const d = L.dense({units: 3, activation: 'tanh', name: 'dense'}).apply(cat);
    const y = L.concatenate({name: 'concat_out'}).apply([d, sc]);
    const m = tf.model({inputs: [a, b], outputs: [y, sb], name: 'shared_layer'});
    setWeights(m, 901);
    await writeCase('shared_layer', "A Dense layer shared three times: its layer output is that of its first call (inbound node 0); the second call's output is the model's second output, the third feeds the first output.", m,
      [input([3, 5], 19), input([3, 5], 20)]);
  }

  // nested_sequential: a Sequential and a functional model used as layers.
  {
    const inner = tf.sequential({name: 'inner_seq'});
    inner.add(L.dense({inputShape: [5], units: 6, activation: 'relu', name: 'inner_dense_1'}));
    inner.add(L.batchNormalization({name: 'inner_bn'}));
    inner.add(L.dense({units: 3, activation: 'tanh', name: 'inner_dense_2'}));
    const fi = L.input({shape: [5], name: 'fn_in'});
    const innerFn = tf.model({inputs: fi, outputs: L.dense({units: 5, activation: 'sigmoid', name: 'fn_dense'}).apply(fi), name: 'inner_fn'});
    const a = L.input({shape: [5], name: 'a'});
    const h = L.dense({units: 5, name: 'pre'}).apply(a);
    const n = inner.apply(h);
    const y = L.dense({units: 2, name: 'post'}).apply(n);
    const n2 = inner.apply(innerFn.apply(a));
    const out = L.concatenate({name: 'concat'}).apply([y, n2]);
    const m = tf.model({inputs: a, outputs: out, name: 'nested_sequential'});
    setWeights(m, 951);
    await writeCase('nested_sequential', "A Sequential (Dense relu, BatchNormalization, Dense tanh) used as a layer of a functional model and called twice, and a functional model (class Model) used as a layer. TF.js lists only the outer calls in a nested model's inbound_nodes, but the layers that consume its outputs name them with the model's own node numbering, where node 0 is the nested model's construction: ['inner_seq', 1, 0, {}] and ['inner_seq', 2, 0, {}] for its two calls, ['inner_fn', 1, 0, {}] for its one (TF.js' loader reads them that way: this file reloads and predicts in TF.js; Keras 2 writes 0-based indices and skips the first node when loading). A nested model's layer outputs are those of its first call, keyed '<outer>/<inner>' (files layer_<outer>__<inner>.npy).", m,
      [input([3, 5], 23)]);
  }

  // no_weights: a model without any weight.
  {
    const x = L.input({shape: [6, 2], name: 'x'});
    const h = L.maxPooling1d({poolSize: 2, name: 'max_pool'}).apply(x);
    const y = L.activation({activation: 'tanh', name: 'tanh'}).apply(h);
    const m = tf.model({inputs: x, outputs: y, name: 'no_weights'});
    await writeCase('no_weights', 'A model without weights: MaxPooling1D(2), then a tanh Activation.', m, [input([2, 6, 2], 24)]);
  }

  // synth_1d: Keras layers TF.js 4.22 lacks, written here on TF.js core ops.
  {
    const x = L.input({shape: [9, 3], name: 'x'});
    const x2 = L.input({shape: [9, 3], name: 'x2'});
    const sub = new Subtract({name: 'subtract'}).apply([x, x2]);
    const crop = new Cropping1D({cropping: [1, 2], name: 'crop_1d'}).apply(sub); // [6,3]
    const pad = new ZeroPadding1D({padding: [2, 1], name: 'zero_pad_1d'}).apply(crop); // [9,3]
    const up = new UpSampling1D({size: 2, name: 'up_1d'}).apply(pad); // [18,3]
    const sep = new SeparableConv1D({filters: 4, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', name: 'separable_1d'}).apply(up); // [9,4]
    const sepValid = new SeparableConv1D({filters: 2, kernelSize: 3, depthMultiplier: 1, strides: 1, padding: 'valid', name: 'separable_1d_valid'}).apply(x); // [7,2]
    const ct = new Conv1DTranspose({filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'conv1d_transpose_same'}).apply(sep); // [18,2]
    const ctv = new Conv1DTranspose({filters: 3, kernelSize: 4, strides: 2, padding: 'valid', name: 'conv1d_transpose_valid'}).apply(x2); // [20,3]
    const m = tf.model({inputs: [x, x2], outputs: [ct, sepValid, ctv], name: 'synth_1d'});
    setWeights(m, 1001);
    await writeCase('synth_1d', "Keras layers that TF.js 4.22 does not have, defined in make_cases.js as TF.js layers with Keras 2's class names and configs, computed by TF.js core ops: Subtract (tf.sub), Cropping1D((1,2)) (tf.slice), ZeroPadding1D((2,1)) (tf.pad), UpSampling1D(2) (tile), SeparableConv1D (depthwise_kernel [k,c,m], pointwise_kernel [1,c*m,f], bias; tf.depthwiseConv2d + 1x1 tf.conv2d) k3 m2 strides 2 'same' and k3 m1 'valid', Conv1DTranspose (kernel [k,f,c], bias; tf.conv2dTranspose) k3 strides 2 'same' and k4 strides 2 'valid'.", m,
      [input([2, 9, 3], 21), input([2, 9, 3], 22)], {oracle: ORACLE + ' core ops (these layer classes are written in make_cases.js; TF.js 4.22 has none of them)'});
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
