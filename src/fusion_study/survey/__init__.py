"""Survey inference: estimates for small areas (branches) and other design-based summaries."""
