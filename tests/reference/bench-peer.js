#!/usr/bin/env node
'use strict';
/*
 * Performance peer for `make bench`: face-api 1.7.15 itself on
 * @tensorflow/tfjs-backend-wasm 4.22.0 (XNNPACK, 128-bit SIMD; single-threaded
 * under Node, where tfjs-backend-wasm disables its threaded build).
 *
 *   node bench-peer.js --models DIR --image FILE.ppm [--runs 30] [--warmup 5]
 *                      [--backend wasm|cpu]
 *
 * Each net is timed in isolation through its forwardInput() on a NetInput
 * whose tensor already has the net's input size (pad and resize done once up
 * front), with the outputs read back (dataSync) inside the timed region:
 *   tiny            TinyFaceDetector at 416 (whole image, padded + resized once)
 *   ssd             SsdMobilenetv1 at 512 (whole image)
 *   landmark68      FaceLandmark68Net on the first face's 112x112 crop
 *   landmark68_tiny FaceLandmark68TinyNet on the same crop
 *   recognition     FaceRecognitionNet on the first face's 150x150 aligned crop
 *   pipeline        detectAllFaces(int32 image tensor, tiny 416)
 *                     .withFaceLandmarks().withFaceDescriptors(), from the
 *                   whole image (pad, resize, crops included); its line also
 *                   carries "faces": how many faces it processed
 *
 * Output, one JSON object per line on stdout:
 *   {"impl":"face-api-wasm","net":"tiny","median_ms":..,"min_ms":..,"runs":N}
 * Backend details go to stderr.
 */

const path = require('path');
const { performance } = require('perf_hooks');

const g = require('./gen-fixtures.js');

const { tf, faceapi } = g;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/* Read back every output tensor, then dispose it. */
function drain(out) {
  if (out instanceof tf.Tensor) { out.dataSync(); out.dispose(); return; }
  if (Array.isArray(out)) { out.forEach(drain); return; }
  if (out && typeof out === 'object') Object.values(out).forEach(drain);
}

async function time(fn, warmup, runs) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { median_ms: +median(ms).toFixed(3), min_ms: +Math.min(...ms).toFixed(3), runs };
}

/* A NetInput holding a float32 [1, size, size, 3] tensor: toBatchTensor() is then a no-op. */
async function prepared(img3d, size, centre) {
  const ni = await faceapi.toNetInput(img3d);
  const batch = ni.toBatchTensor(size, centre);
  return { ni: await faceapi.toNetInput(batch), batch };
}

async function main() {
  const args = g.parseArgs(process.argv.slice(2), {
    models: process.env.MODELS || 'models', image: '', runs: '30', warmup: '5', backend: 'wasm',
  });
  if (!args.image) throw new Error('--image FILE.ppm is required');
  const runs = parseInt(args.runs, 10);
  const warmup = parseInt(args.warmup, 10);
  if (!(runs > 0) || !(warmup >= 0)) throw new Error('bad --runs/--warmup');

  if (args.backend === 'wasm') require('@tensorflow/tfjs-backend-wasm'); // registers the backend
  await g.setBackend(args.backend);
  let info = `backend ${tf.getBackend()}`;
  if (args.backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info += ` tfjs-backend-wasm ${wasm.version_wasm} SIMD ${simd} multithread ${mt} threads ${wasm.getThreadsCount()}`;
  }
  g.loadNets(args.models);
  const impl = `face-api-${args.backend}`;
  process.stderr.write(`bench-peer: face-api ${g.FACE_API_VERSION} tfjs ${tf.version.tfjs} ${info}; `
    + `node ${process.version}; image ${path.basename(args.image)}; warmup ${warmup} runs ${runs}\n`);

  const img = g.readPPM(args.image);
  const image = g.toTensor(img);

  // Place the 112 / 150 crops on the first face of the pipeline.
  const faces = await faceapi.detectAllFaces(image, new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }))
    .withFaceLandmarks();
  if (!faces.length) throw new Error(`${args.image}: no face found`);
  const [faceCrop] = await faceapi.extractFaceTensors(image, [faces[0].detection]);
  const alignBox = faces[0].landmarks.align(null, { useDlibAlignment: true });
  const [alignCrop] = await faceapi.extractFaceTensors(image, [alignBox]);

  const inputs = {
    tiny: await prepared(image, 416, false),
    ssd: await prepared(image, 512, false),
    face112: await prepared(faceCrop, 112, true),
    face150: await prepared(alignCrop, 150, true),
  };
  const nets = faceapi.nets;
  let res = [];
  const benches = [
    ['tiny', () => drain(nets.tinyFaceDetector.forwardInput(inputs.tiny.ni, 416))],
    ['ssd', () => drain(nets.ssdMobilenetv1.forwardInput(inputs.ssd.ni))],
    ['landmark68', () => drain(nets.faceLandmark68Net.forwardInput(inputs.face112.ni))],
    ['landmark68_tiny', () => drain(nets.faceLandmark68TinyNet.forwardInput(inputs.face112.ni))],
    ['recognition', () => drain(nets.faceRecognitionNet.forwardInput(inputs.face150.ni))],
    ['pipeline', async () => {
      res = await faceapi.detectAllFaces(image, new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }))
        .withFaceLandmarks().withFaceDescriptors();
      if (!res.length) throw new Error('pipeline lost the face');
    }],
  ];
  const live = tf.memory().numTensors;
  for (const [net, fn] of benches) {
    const r = await time(fn, warmup, runs);
    const extra = net === 'pipeline' ? { faces: res.length } : {};
    process.stdout.write(`${JSON.stringify({ impl, net, ...r, ...extra })}\n`);
  }
  if (tf.memory().numTensors !== live) {
    process.stderr.write(`bench-peer: warning: ${tf.memory().numTensors - live} tensors leaked\n`);
  }
}

main().catch((err) => { console.error(`bench-peer: ${err.stack || err}`); process.exit(1); });
