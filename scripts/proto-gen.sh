#!/usr/bin/env bash
# Regenerates proto/gen (TypeScript types for the .proto files) with @grpc/proto-loader's generator,
# then adds the .js extensions ESM (NodeNext) resolution requires.
set -euo pipefail
cd "$(dirname "$0")/../proto"
rm -rf gen
npx proto-loader-gen-types --longs=Number --defaults --oneofs --grpcLib=@grpc/grpc-js --outDir=gen \
  mpcid/oracle/v1/oracle.proto mpcid/admin/v1/admin.proto mpcid/agent/v1/workload.proto \
  spiffe/workloadapi.proto
find gen -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '\.[^']*)'#\1.js'#"
cd .. && npx biome format --write proto/gen >/dev/null
