"""Running the server: metrics, limits, scale-out, start-up recovery, model reload."""
