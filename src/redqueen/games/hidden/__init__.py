"""Games in which players hold information that others cannot see."""
