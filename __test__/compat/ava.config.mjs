// ava configuration of the compatibility suite (see ../compat.test.mjs): the test files run in
// parallel, in worker threads by default (run with --no-worker-threads for child processes).
export default {
  files: ['__test__/compat/ava/**/*.spec.mjs'],
  workerThreads: true,
  timeout: '60s',
}
