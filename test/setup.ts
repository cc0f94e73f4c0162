// Loaded by mocha before every spec (see .mocharc.json).
// An unhandled rejection anywhere in the suite is a bug in the code under test: fail loudly.
process.on('unhandledRejection', (reason) => {
  // eslint-disable-next-line no-console
  console.error('UNHANDLED REJECTION in test run:', reason);
  process.exitCode = 1;
  throw reason;
});
