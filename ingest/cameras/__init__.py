"""Camera analytics: health (offline, frozen, black, blurred, covered, moved …) and motion."""
