// Hangfire keeps its log provider in a static: hosts that start and stop in parallel in one test
// process would hand each other disposed loggers. A product process has one host, so tests run one host at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
