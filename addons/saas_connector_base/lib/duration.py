"""Durations as people read them: "850 ms", "13.7 s", "4 min 05 s", "2 h 10 min"."""


def human_duration(milliseconds):
    """``milliseconds`` (an int, or None for "not measured") in the largest unit that keeps
    it readable, with at most two parts; an empty string for None."""
    if milliseconds is None or milliseconds is False:
        return ""
    if milliseconds < 0:
        raise ValueError("a duration cannot be negative")
    if milliseconds < 1000:
        return f"{int(milliseconds)} ms"
    seconds = milliseconds / 1000
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
