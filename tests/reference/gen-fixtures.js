#!/usr/bin/env node
'use strict';
/*
 * Reference fixtures for Gatehouse's C port of @vladmandic/face-api 1.7.15.
 *
 * Runs face-api itself (dist/face-api.node-wasm.js on plain @tensorflow/tfjs,
 * CPU backend) on lossless inputs: full-image binary PPMs decoded by
 * libjpeg-turbo (made by gen.sh with the project's ppm-from tool), cropped here,
 * and the same JPEGs decoded by jpeg-js 0.4.4 (reported, not asserted).
 *
 *   node gen-fixtures.js --models DIR --ppm-dir DIR [--demo-dir DIR] [--out FILE]
 *
 * --models   face-api model dir (*-weights_manifest.json + *.bin); default
 *            $MODELS or "models"
 * --ppm-dir  directory holding sample1.ppm .. sample6.ppm (libjpeg-turbo RGB)
 * --demo-dir directory holding sample1.jpg .. sample6.jpg; default MODELS/demo
 * --out      output JSON; default tests/fixtures/reference.json
 *
 * The helpers are exported for bench-peer.js.
 */

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const FACE_API_VERSION = require('@vladmandic/face-api/package.json').version;
const SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => `sample${i}`);

/* ---------------------------------------------------------------- helpers */

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new Error(`unknown option ${a}`);
    if (i + 1 >= argv.length) throw new Error(`option ${a} needs a value`);
    out[key] = argv[++i];
  }
  return out;
}

/* Binary P6 PPM, maxval 255, comments allowed in the header. */
function readPPM(file) {
  const buf = fs.readFileSync(file);
  let pos = 0;
  const token = () => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
      if (buf[pos] === 0x23) { while (pos < buf.length && buf[pos] !== 0x0a) pos++; } else break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    return buf.toString('latin1', start, pos);
  };
  if (token() !== 'P6') throw new Error(`${file}: not a binary P6 PPM`);
  const width = parseInt(token(), 10);
  const height = parseInt(token(), 10);
  const maxval = parseInt(token(), 10);
  if (!(width > 0 && height > 0) || maxval !== 255) throw new Error(`${file}: bad PPM header`);
  pos++; // exactly one whitespace byte after maxval
  const n = width * height * 3;
  if (buf.length - pos < n) throw new Error(`${file}: truncated PPM`);
  return { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + pos, n).slice() };
}

/* jpeg-js 0.4.4 decode to packed RGB. */
function decodeJpegJs(file) {
  const jpeg = require('jpeg-js');
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  const n = img.width * img.height * 3;
  if (img.data.length !== n) throw new Error(`${file}: jpeg-js returned ${img.data.length} bytes, want ${n}`);
  return { width: img.width, height: img.height, data: Uint8Array.from(img.data) };
}

/* Integer crop [x, y, w, h], which must lie inside the image. */
function cropImage(img, crop) {
  if (!crop) return img;
  const [x, y, w, h] = crop;
  if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w <= 0 || h <= 0
      || x + w > img.width || y + h > img.height) {
    throw new Error(`crop ${JSON.stringify(crop)} outside ${img.width}x${img.height}`);
  }
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * 3;
    data.set(img.data.subarray(src, src + w * 3), r * w * 3);
  }
  return { width: w, height: h, data };
}

function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/* The tensor path of face-api (vision-models.md 0.3): int32 [H, W, 3]. */
function toTensor(img) {
  return tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
}

const MODEL_FILES = {
  tinyFaceDetector: 'tiny_face_detector_model',
  ssdMobilenetv1: 'ssd_mobilenetv1_model',
  faceLandmark68Net: 'face_landmark_68_model',
  faceLandmark68TinyNet: 'face_landmark_68_tiny_model',
  faceRecognitionNet: 'face_recognition_model',
};

/*
 * Load weights without tfjs-node: read the manifest and the .bin shards,
 * decode with tf.io.decodeWeights and hand the map to loadFromWeightMap
 * (the same thing loadFromDisk does, minus face-api's fs environment).
 */
function loadNets(modelsDir, which = Object.keys(MODEL_FILES)) {
  for (const key of which) {
    const base = MODEL_FILES[key];
    const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, `${base}-weights_manifest.json`), 'utf8'));
    const weightMap = {};
    for (const group of manifest) {
      const buf = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(modelsDir, p))));
      const expected = group.weights.reduce((sum, w) => {
        const count = w.shape.reduce((a, b) => a * b, 1);
        const bytes = w.quantization ? { uint8: 1, uint16: 2, float16: 2 }[w.quantization.dtype] : 4;
        return sum + count * bytes;
      }, 0);
      if (expected !== buf.length) throw new Error(`${base}: .bin has ${buf.length} bytes, manifest wants ${expected}`);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      Object.assign(weightMap, tf.io.decodeWeights(ab, group.weights));
    }
    faceapi.nets[key].loadFromWeightMap(weightMap);
  }
}

async function setBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} unavailable`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend is ${tf.getBackend()}, want ${name}`);
}

function detectorOptions(c) {
  return c.detector === 'tiny'
    ? new faceapi.TinyFaceDetectorOptions({ inputSize: c.input_size, scoreThreshold: c.min_score })
    : new faceapi.SsdMobilenetv1Options({ minConfidence: c.min_score, maxResults: c.max_results });
}

/* detectAllFaces(img).withFaceLandmarks(tiny?).withFaceDescriptors() on a tensor. */
async function runPipeline(img, c) {
  const t = toTensor(img);
  try {
    const res = await faceapi.detectAllFaces(t, detectorOptions(c))
      .withFaceLandmarks(c.landmarks === 'tiny')
      .withFaceDescriptors();
    return res.map((r) => {
      const b = r.detection.box;
      const a = r.landmarks.align(null, { useDlibAlignment: true });
      return {
        score: r.detection.score,
        box: [b.x, b.y, b.width, b.height],
        landmarks: r.landmarks.positions.map((p) => [p.x, p.y]),
        descriptor: Array.from(r.descriptor),
        align_box: [a.x, a.y, a.width, a.height],
      };
    });
  } finally {
    t.dispose();
  }
}

/* Detections only (for choosing crops). */
async function detect(img, c) {
  const t = toTensor(img);
  try {
    const dets = await faceapi.detectAllFaces(t, detectorOptions(c));
    return dets.map((d) => ({ score: d.score, box: [d.box.x, d.box.y, d.box.width, d.box.height] }));
  } finally {
    t.dispose();
  }
}

module.exports = {
  tf, faceapi, FACE_API_VERSION, SAMPLES, parseArgs, readPPM, decodeJpegJs, cropImage,
  sha256, toTensor, loadNets, setBackend, detectorOptions, runPipeline, detect,
};

/* ------------------------------------------------------------------- main */

const TINY = (inputSize = 416, landmarks = 'full') => ({
  detector: 'tiny', input_size: inputSize, min_score: 0.5, landmarks,
});
const SSD = (landmarks = 'full') => ({
  detector: 'ssd', input_size: 512, min_score: 0.5, max_results: 100, landmarks,
});

/* A w x h crop centred on (cx, cy), shifted to lie inside the image. */
function centredCrop(img, cx, cy, w, h) {
  if (w > img.width || h > img.height) throw new Error(`crop ${w}x${h} larger than image`);
  const x = Math.min(Math.max(0, Math.round(cx - w / 2)), img.width - w);
  const y = Math.min(Math.max(0, Math.round(cy - h / 2)), img.height - h);
  return [x, y, w, h];
}
const boxCentre = (b) => [b[0] + b[2] / 2, b[1] + b[3] / 2];

function log(msg) { process.stderr.write(`${msg}\n`); }

async function makeCase(name, source, decoder, full, crop, cfg) {
  const img = cropImage(full, crop);
  const t0 = Date.now();
  const faces = await runPipeline(img, cfg);
  const c = {
    name,
    source: `${source}.jpg`,
    decoder,
    crop: crop || null,
    width: img.width,
    height: img.height,
    pixels_sha256: sha256(img.data),
    detector: cfg.detector,
    input_size: cfg.input_size,
    min_score: cfg.min_score,
  };
  if (cfg.detector === 'ssd') c.max_results = cfg.max_results;
  c.landmarks = cfg.landmarks;
  c.faces = faces;
  const norms = faces.map((f) => Math.hypot(...f.descriptor).toFixed(3));
  log(`case ${name}: ${img.width}x${img.height} ${faces.length} faces `
    + `[${faces.map((f) => `${f.score.toFixed(3)}@${f.box.map((v) => v.toFixed(1)).join(',')}`).join(' ')}] `
    + `|d| ${norms.join(' ')} (${Date.now() - t0} ms)`);
  return c;
}

/* Cross-decoder spread between two runs of the same sample and detector. */
function spread(a, b) {
  const used = new Set();
  let boxMax = 0; let lmMax = 0; let descMax = 0; let matched = 0;
  for (const fa of a.faces) {
    let best = -1; let bestD = Infinity;
    b.faces.forEach((fb, j) => {
      if (used.has(j)) return;
      const d = Math.hypot(fa.box[0] - fb.box[0], fa.box[1] - fb.box[1]);
      if (d < bestD) { bestD = d; best = j; }
    });
    if (best < 0 || bestD > 0.25 * fa.box[2]) continue;
    used.add(best);
    matched++;
    const fb = b.faces[best];
    fa.box.forEach((v, k) => { boxMax = Math.max(boxMax, Math.abs(v - fb.box[k])); });
    fa.landmarks.forEach((p, k) => { lmMax = Math.max(lmMax, Math.hypot(p[0] - fb.landmarks[k][0], p[1] - fb.landmarks[k][1])); });
    descMax = Math.max(descMax, Math.hypot(...fa.descriptor.map((v, k) => v - fb.descriptor[k])));
  }
  return `faces ${a.faces.length}/${b.faces.length} matched ${matched}: box ${boxMax.toFixed(2)} px, `
    + `landmarks ${lmMax.toFixed(2)} px, descriptor L2 ${descMax.toFixed(4)}`;
}

/* Searches for the border crops (deterministic: fixed order, fixed steps). */
async function findEdgeCrop(turbo, fullTiny, corner) {
  for (const s of SAMPLES) {
    const img = turbo[s];
    for (const f of fullTiny[s].faces) {
      const F = f.box;
      for (let k = 1; k <= 20; k++) {
        const a = k * 0.02;
        let crop;
        if (corner === 'topleft') {
          const x0 = Math.round(F[0] + a * F[2]); const y0 = Math.round(F[1] + a * F[3]);
          crop = [x0, y0, Math.min(640, img.width - x0), Math.min(480, img.height - y0)];
        } else {
          const xe = Math.round(F[0] + (1 - a) * F[2]); const ye = Math.round(F[1] + (1 - a) * F[3]);
          const x0 = Math.max(0, xe - 640); const y0 = Math.max(0, ye - 480);
          crop = [x0, y0, xe - x0, ye - y0];
        }
        const dets = await detect(cropImage(img, crop), TINY());
        if (dets.length !== 1) continue;
        const b = dets[0].box;
        const ok = corner === 'topleft'
          ? b[0] <= -5 && b[1] <= -5
          : b[0] + b[2] >= crop[2] + 5 && b[1] + b[3] >= crop[3] + 5;
        if (ok) return { source: s, crop };
      }
    }
  }
  throw new Error(`no ${corner} edge crop found`);
}

async function findSmallCrop(turbo, fullSsd) {
  const s = 'sample5';
  for (const k of [1, 1.2, 1.4, 1.6, 1.8, 2]) {
    const w = Math.round(200 * k); const h = Math.round(150 * k);
    for (const f of fullSsd[s].faces) {
      const [cx, cy] = boxCentre(f.box);
      const crop = centredCrop(turbo[s], cx, cy, w, h);
      const img = cropImage(turbo[s], crop);
      if ((await detect(img, TINY())).length !== 1) continue;
      if ((await detect(img, SSD())).length !== 1) continue;
      return { source: s, crop };
    }
  }
  throw new Error('no small crop found');
}

const OUTPUT_KIND = {
  tiny: 'TinyFaceDetector.forwardInput(netInput, inputSize): raw conv8 output [1,g,g,25], g = inputSize/32, '
    + 'flattened row-major (y, x, channel); channel = anchor*5 + (tx, ty, tw, th, tscore), no sigmoid/exp applied',
  ssd: 'SsdMobilenetv1.forwardInput(netInput) returns {boxes:[Tensor2D], scores:[Tensor1D]} (one per batch). '
    + 'boxes: [5118,4] row-major, already DECODED with the anchors (box coder 10,10,5,5) as [ymin, xmin, ymax, xmax] '
    + 'in fractions of the padded 512 square, NOT clamped to [0,1], not NMS-filtered; '
    + 'scores: [5118] = sigmoid(class logit 1), post-sigmoid, not thresholded. Anchor order: predictor 0..5, (y, x, anchor)',
  landmark68: 'FaceLandmark68Net.runNet(netInput): raw fc output [1,136] = (x0,y0,...,x67,y67) in units of the 112 input '
    + 'square (before postProcess). forwardInput() = postProcess(runNet): (o*112 - pad)/scaled_dims, which for a square '
    + '112x112 input is o*112/112 (equal to o up to float32 rounding)',
  landmark68_tiny: 'FaceLandmark68TinyNet.runNet(netInput): raw fc output [1,136] = (x0,y0,...,x67,y67) in units of the '
    + '112 input square (before postProcess; see landmark68)',
  recognition: 'FaceRecognitionNet.forwardInput(netInput): [1,128] descriptor (fc matmul, no bias, not L2-normalised)',
};

async function makeNet(net, source, full, crop) {
  const img = cropImage(full, crop);
  const t = toTensor(img);
  const ni = await faceapi.toNetInput(t);
  const e = {
    net, source: `${source}.jpg`, decoder: 'libjpeg-turbo', crop, width: img.width, height: img.height,
    pixels_sha256: sha256(img.data),
  };
  const take = (x) => { const a = Array.from(x.dataSync()); x.dispose(); return a; };
  if (net === 'tiny') {
    e.input_size = crop[2];
    e.output_shape = [1, crop[2] / 32, crop[2] / 32, 25];
    e.output = take(faceapi.nets.tinyFaceDetector.forwardInput(ni, crop[2]));
  } else if (net === 'ssd') {
    e.input_size = 512;
    const { boxes, scores } = faceapi.nets.ssdMobilenetv1.forwardInput(ni);
    e.boxes_shape = boxes[0].shape;
    e.scores_shape = scores[0].shape;
    e.boxes = take(boxes[0]);
    e.scores = take(scores[0]);
  } else if (net === 'landmark68' || net === 'landmark68_tiny') {
    const n = net === 'landmark68' ? faceapi.nets.faceLandmark68Net : faceapi.nets.faceLandmark68TinyNet;
    e.input_size = 112;
    e.output_shape = [1, 136];
    e.output = take(n.runNet(ni));
    // How far forwardInput (postProcess included) is from the raw output.
    const post = take(n.forwardInput(ni));
    e.forward_input_max_abs_diff = Math.max(...post.map((v, i) => Math.abs(v - e.output[i])));
  } else if (net === 'recognition') {
    e.input_size = 150;
    e.output_shape = [1, 128];
    e.output = take(faceapi.nets.faceRecognitionNet.forwardInput(ni));
  }
  e.output_kind = OUTPUT_KIND[net];
  t.dispose();
  const out = e.output || e.scores;
  log(`net ${net} ${source} crop ${JSON.stringify(crop)}: ${out.length} values`
    + (net === 'ssd' ? `, max score ${Math.max(...e.scores).toFixed(4)}` : '')
    + (net === 'recognition' ? `, |d| ${Math.hypot(...e.output).toFixed(4)}` : ''));
  return e;
}

function writeJson(file, doc) {
  const lines = [];
  lines.push('{');
  for (const k of ['generator', 'face_api', 'tfjs', 'backend']) lines.push(`${JSON.stringify(k)}: ${JSON.stringify(doc[k])},`);
  for (const key of ['cases', 'nets']) {
    lines.push(`${JSON.stringify(key)}: [`);
    doc[key].forEach((c, i) => lines.push(JSON.stringify(c) + (i + 1 < doc[key].length ? ',' : '')));
    lines.push(key === 'cases' ? '],' : ']');
  }
  lines.push('}');
  const text = `${lines.join('\n')}\n`;
  JSON.parse(text); // self-check
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return text.length;
}

async function main() {
  const models = process.env.MODELS || 'models';
  const args = parseArgs(process.argv.slice(2), {
    models, 'ppm-dir': '', 'demo-dir': '', out: 'tests/fixtures/reference.json',
  });
  if (!args['ppm-dir']) throw new Error('--ppm-dir is required (sample1.ppm .. sample6.ppm)');
  const demoDir = args['demo-dir'] || path.join(args.models, 'demo');
  const T0 = Date.now();

  await setBackend('cpu');
  loadNets(args.models);
  log(`gen-fixtures: face-api ${FACE_API_VERSION}, tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);

  const turbo = {}; const jpegjs = {};
  for (const s of SAMPLES) {
    turbo[s] = readPPM(path.join(args['ppm-dir'], `${s}.ppm`));
    jpegjs[s] = decodeJpegJs(path.join(demoDir, `${s}.jpg`));
    if (turbo[s].width !== jpegjs[s].width || turbo[s].height !== jpegjs[s].height) {
      throw new Error(`${s}: PPM is ${turbo[s].width}x${turbo[s].height}, JPEG is ${jpegjs[s].width}x${jpegjs[s].height}`);
    }
  }

  const cases = [];
  const fullTiny = {}; const fullSsd = {};
  // (a) whole images, libjpeg-turbo pixels
  for (const s of SAMPLES) {
    fullTiny[s] = await makeCase(`${s}-tiny`, s, 'libjpeg-turbo', turbo[s], null, TINY());
    fullSsd[s] = await makeCase(`${s}-ssd`, s, 'libjpeg-turbo', turbo[s], null, SSD());
    cases.push(fullTiny[s], fullSsd[s]);
  }
  // (b) whole images, jpeg-js pixels (cross-decoder spread: reported, not asserted)
  const spreads = [];
  for (const s of SAMPLES) {
    const ct = await makeCase(`${s}-tiny-jpegjs`, s, 'jpeg-js', jpegjs[s], null, TINY());
    const cs = await makeCase(`${s}-ssd-jpegjs`, s, 'jpeg-js', jpegjs[s], null, SSD());
    cases.push(ct, cs);
    spreads.push(`${s} tiny: ${spread(fullTiny[s], ct)}`, `${s} ssd:  ${spread(fullSsd[s], cs)}`);
  }
  // (c) border cases, libjpeg-turbo pixels; each crop with both detectors
  const border = [];
  const tl = await findEdgeCrop(turbo, fullTiny, 'topleft');
  border.push(['cut-topleft', tl.source, tl.crop]);
  const br = await findEdgeCrop(turbo, fullTiny, 'bottomright');
  border.push(['cut-bottomright', br.source, br.crop]);
  {
    const [cx, cy] = boxCentre(fullTiny.sample3.faces[0].box);
    border.push(['portrait-481x640', 'sample3', centredCrop(turbo.sample3, cx, cy, 481, 640)]);
  }
  {
    const [cx, cy] = boxCentre(fullTiny.sample4.faces[0].box);
    border.push(['landscape-801x600', 'sample4', centredCrop(turbo.sample4, cx, cy, 801, 600)]);
  }
  {
    const [cx, cy] = boxCentre(fullTiny.sample6.faces[0].box);
    border.push(['square-416', 'sample6', centredCrop(turbo.sample6, cx, cy, 416, 416)]);
  }
  const small = await findSmallCrop(turbo, fullSsd);
  border.push([`small-${small.crop[2]}x${small.crop[3]}`, small.source, small.crop]);
  for (const [label, s, crop] of border) {
    cases.push(await makeCase(`${s}-${label}-tiny`, s, 'libjpeg-turbo', turbo[s], crop, TINY()));
    cases.push(await makeCase(`${s}-${label}-ssd`, s, 'libjpeg-turbo', turbo[s], crop, SSD()));
  }
  const neg = cases.find((c) => c.name.endsWith('cut-topleft-tiny'));
  if (!neg.faces.some((f) => f.box[0] < 0 && f.box[1] < 0)) throw new Error('cut-topleft: no negative box in the fixture');
  cases.push(await makeCase('sample1-tiny-landmarks-tiny', 'sample1', 'libjpeg-turbo', turbo.sample1, null, TINY(416, 'tiny')));
  cases.push(await makeCase('sample1-tiny-320', 'sample1', 'libjpeg-turbo', turbo.sample1, null, TINY(320)));
  cases.push(await makeCase('sample1-tiny-608', 'sample1', 'libjpeg-turbo', turbo.sample1, null, TINY(608)));

  const names = new Set();
  for (const c of cases) { if (names.has(c.name)) throw new Error(`duplicate case ${c.name}`); names.add(c.name); }

  // (d) nets in isolation: the crop is exactly the net's input size (no resize)
  const nets = [];
  {
    const [cx, cy] = boxCentre(fullTiny.sample1.faces[0].box);
    nets.push(await makeNet('tiny', 'sample1', turbo.sample1, centredCrop(turbo.sample1, cx, cy, 416, 416)));
  }
  {
    const [cx, cy] = boxCentre(fullTiny.sample2.faces[0].box);
    nets.push(await makeNet('tiny', 'sample2', turbo.sample2, centredCrop(turbo.sample2, cx, cy, 320, 320)));
  }
  {
    const [cx, cy] = boxCentre(fullSsd.sample6.faces[0].box);
    nets.push(await makeNet('ssd', 'sample6', turbo.sample6, centredCrop(turbo.sample6, cx, cy, 512, 512)));
  }
  {
    // landmarks: the face with the smallest detection box, centred on its 68 points
    let best = null;
    for (const s of SAMPLES) {
      for (const f of fullTiny[s].faces) {
        const area = f.box[2] * f.box[3];
        if (!best || area < best.area) best = { s, f, area };
      }
    }
    const pts = best.f.landmarks;
    const cx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
    const cy = pts.reduce((a, p) => a + p[1], 0) / pts.length;
    const crop = centredCrop(turbo[best.s], cx, cy, 112, 112);
    nets.push(await makeNet('landmark68', best.s, turbo[best.s], crop));
    nets.push(await makeNet('landmark68_tiny', best.s, turbo[best.s], crop));
  }
  {
    // recognition: the face whose dlib-aligned crop is closest to 150 px, centred on it
    let best = null;
    for (const s of SAMPLES) {
      for (const f of fullTiny[s].faces) {
        const d = Math.abs(f.align_box[2] - 150) + Math.abs(f.align_box[3] - 150);
        if (!best || d < best.d) best = { s, f, d };
      }
    }
    const [cx, cy] = boxCentre(best.f.align_box);
    nets.push(await makeNet('recognition', best.s, turbo[best.s], centredCrop(turbo[best.s], cx, cy, 150, 150)));
  }

  const doc = {
    generator: 'tests/reference/gen-fixtures.js',
    face_api: FACE_API_VERSION,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    cases,
    nets,
  };
  const size = writeJson(args.out, doc);
  log('cross-decoder spread (libjpeg-turbo vs jpeg-js 0.4.4):');
  spreads.forEach((l) => log(`  ${l}`));
  log(`gen-fixtures: wrote ${args.out}: ${cases.length} cases, ${nets.length} nets, ${size} bytes in ${((Date.now() - T0) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().catch((err) => { console.error(`gen-fixtures: ${err.stack || err}`); process.exit(1); });
}
