"""What the server keeps per browser: runs, checkpoints, lesson progress, and the journal of running jobs."""
