"""Code shared by every app: base model, encrypted fields, API plumbing, middleware."""
