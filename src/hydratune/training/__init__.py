"""Trainer mixins and callbacks: length-aware batches, token throughput."""
