#!/usr/bin/env bash
# Seeds the fuzzers' corpora: every shipped and malformed scenario, and the part files of
# two shards of each shipped scenario. Run from the project root.
set -euo pipefail
mkdir -p fuzz/corpus/scenario fuzz/corpus/part
cp scenarios/*.toml tests/malformed/*.toml tests/valid-base.toml fuzz/corpus/scenario/
cargo build --release --quiet
for scenario in scenarios/*.toml; do
  stem=$(basename "$scenario" .toml)
  for shard in 1 2; do
    folder=$(mktemp -d)
    rmdir "$folder"
    ./target/release/edgesim run "$scenario" -n 4 --horizon 30d --no-runs --no-charts -q \
      --shard "$shard/2" -o "$folder"
    cp "$folder/part.json" "fuzz/corpus/part/$stem-$shard.json"
    rm -rf "$folder"
  done
done
