"""A module-level benchmark function that instruction mode's fresh process can import by name."""


def spin() -> int:
    return sum(range(100))
