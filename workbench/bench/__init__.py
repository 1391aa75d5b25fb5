"""Province-scale benchmarking support: the reproducible data generator behind
`workbench bench seed --scale S` and the list of pages the benchmarks and the growth test
measure. Nothing here runs in a normal request."""
