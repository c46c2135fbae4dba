'use strict'
// The values JS shares with the Rust core: the error codes and their names, the prefix of the
// core's error encoding, the packing of fast-call targets and how handles are spelled. They are
// defined once, in Rust (src/api/constants.rs), and read here from the binding.

const shared = require('../binding.js').constants()

module.exports = Object.freeze({
  /** The public error codes by name: { CompileError: 5000, ... }. */
  ErrorCode: Object.freeze({ ...shared.errorCodes }),
  /** How the message of an error encoded by the core starts (see lib/errors.js). */
  ENCODED_PREFIX: shared.encodedErrorPrefix,
  /** Function handles per instance in a fast-call target (see lib/fast-calls.js). */
  FUNCTION_SLOTS: shared.functionSlots,
  /** What comes before the number in a module id ("module:7"). */
  MODULE_ID_PREFIX: shared.moduleIdPrefix,
  /** What comes before the number in an instance id ("instance:7"). */
  INSTANCE_ID_PREFIX: shared.instanceIdPrefix,
  /** The environment variable that asks the engines for a perf map ("1"). */
  PERF_MAP_ENV_VAR: shared.perfMapEnvVar,
  /** The property of a component resource's object that holds its handle. */
  resourceHandleKey: shared.resourceHandleKey,
  /** The property that holds the number of a resource JS defines, crossing to and from wasm. */
  hostResourceKey: shared.hostResourceKey,
})
