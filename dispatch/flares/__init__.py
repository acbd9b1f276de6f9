"""Spike alerts: a public-opinion flare raised by the supervisor, pushed to the walls, and
answered by the center with a fast report within 2 hours [AN-1]."""
