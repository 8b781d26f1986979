"""Image analysis: cheap signals about what an image shows, used by the compression policy."""
