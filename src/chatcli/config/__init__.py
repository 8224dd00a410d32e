"""The one Settings model, the config file, provider presets, paths, model knowledge."""
