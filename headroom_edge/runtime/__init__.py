"""Running the bundled ONNX models: where they live and how sessions are created."""
