"""The engine: registries' parameter type, optimizers, the one training loop, events, background jobs, device, atomic writes, URL state."""
