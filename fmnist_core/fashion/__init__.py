"""Fashion-MNIST: the dataset files, the trainer and its CLI, checkpoints, runs, metrics, TensorBoard logs."""
