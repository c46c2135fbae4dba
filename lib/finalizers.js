'use strict'
// Each Instance carries a native finalizer that drops the instance when the garbage collector
// frees the object. Node runs those finalizers on the event loop.

// A small module's instantiation completes without a turn of the event loop, so a loop that
// only instantiates and awaits would pile finalizers (and their memory) up until it ends: one
// instantiation in FINALIZER_TURN_EVERY gives the event loop a turn.
const FINALIZER_TURN_EVERY = 64
let instantiations = 0

function turnForFinalizers() {
  instantiations = (instantiations + 1) % FINALIZER_TURN_EVERY
  return instantiations === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined
}

// Referencing the instance after an await keeps it reachable (and its finalizer away) until
// the operation settles.
function keepAlive(_instance) {}

module.exports = { turnForFinalizers, keepAlive }
