// Shared by the component suites: the fixture types.wasm's host functions.

// The host functions that hand values back to the component unchanged.
export const ECHOES = {
  hostEchoPoint: (v) => v,
  hostEchoShape: (v) => v,
  hostEchoColor: (v) => v,
  hostEchoPerms: (v) => v,
  hostEchoBag: (v) => v,
  hostEchoNested: (v) => v,
  hostEchoTuple: (v) => v,
  hostEchoNumbers: (...values) => values,
  hostEchoLists: (...values) => values,
  hostCheck: (v) => {
    if (v.tag === 'err') throw v.val
    return v.val
  },
}
