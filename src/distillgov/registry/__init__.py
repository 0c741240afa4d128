"""The distillation registry: the proposed regime's clearinghouse service and its transparency log."""
