#!/usr/bin/env bash
# The matrix the scale-out recipes' tests run: two bare-metal controls
# (two control groups, so 2 shards each own one), one short repetition.
# usage: recipe_matrix.sh PORT
cat <<YAML
name: recipe
repetitions: 1
database:
  port: $1
load:
  connections: 4
  threads: 1
  keys: 500
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: 500 }
    - { op: read, n: 500 }
control:
  baremetal: true
  match_resources: true
matrix:
  vcpus: [1, 2]
YAML
