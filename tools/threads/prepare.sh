#!/bin/bash
# Writes a self-contained thread-scaling benchmark bundle into DIR (default .devbench, which
# .git/info/exclude should ignore) for a machine of the same architecture that has no Go
# toolchain and no network: the timing program of each ../shared/bench model saved by
# `kerasgen bench --save`, the sgemm program (`--gemm --save`), the runtime's test binary,
# tools/threads/roundtrip, the ONNX files, the inputs, and tools/threads/run.py, which times
# them there. See BENCHMARKS.md
# ("Threads past two cores").
#   tools/threads/prepare.sh [DIR]
set -eu
cd "$(dirname "$0")/../.."
DIR=${1:-.devbench}
BENCH=${BENCH:-../shared/bench}
MODELS=${MODELS:-mlp cnn lstm mobilenetv2 transformer resnet_small}
rm -rf "$DIR"; mkdir -p "$DIR/onnx" "$DIR/in"
go build -o "$DIR/kerasgen" ./cmd/kerasgen
for m in $MODELS; do
  "$DIR/kerasgen" bench "$BENCH/models/$m/model.keras" --input "$BENCH/models/$m/input_b1.npy" --save "$DIR/$m" >/dev/null
  rm -r "$DIR/$m/data"
  cp "$BENCH/onnx/$m.onnx" "$DIR/onnx/"
  mkdir -p "$DIR/in/$m"; cp "$BENCH/models/$m/meta.json" "$DIR/in/$m/"
  for f in "$BENCH/models/$m"/input_b*.npy; do cp "$f" "$DIR/in/$m/"; done
done
cp "$BENCH/models/gen_input.py" "$DIR/in/"
"$DIR/kerasgen" bench --gemm 256 --save "$DIR" >/dev/null
go test -c -o "$DIR/runtime.test" ./runtime/
go build -o "$DIR/roundtrip" ./tools/threads/roundtrip
rm "$DIR/kerasgen"
cp tools/threads/run.py tools/threads/table.py "$DIR/"
du -sh "$DIR"
