"""The bundled model: the llama.cpp server child and its wrapper."""
