// Runs an ONNX model with ONNX Runtime: node run.js MODEL INPUT OUTPUT N C H W
// reads N×C×H×W float32 values (little-endian) from INPUT and writes the
// model's "logits" to OUTPUT the same way.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, input, output, n, c, h, w] = process.argv.slice(2);
  const dims = [n, c, h, w].map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const result = await session.run({ input: new ort.Tensor('float32', data, dims) });
  const logits = result.logits;
  fs.writeFileSync(output, Buffer.from(logits.data.buffer, logits.data.byteOffset, logits.data.byteLength));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
