// Hangfire keeps its configuration (job filters, log provider) in statics: two hosts built at
// once in one test process race on them. Product processes build one host, so only tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
