"""Project-wide plumbing that no app imports upward (issue 12's target layout)."""
