"""The project's learned visual features: EfficientNet-Lite0 with its ImageNet weights (framework-free: torch,
timm, numpy). See :mod:`backbone.efficientnet`."""
