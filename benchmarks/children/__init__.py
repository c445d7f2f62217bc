"""Programs the benchmarks run in fresh interpreters or inside a kernel (each one is a real, linted file)."""
