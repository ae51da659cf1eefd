"""dosewise: safe, explained supplement recommendations."""
