"""Reading what people type: dates and periods, time zones, operator names.

Pure functions without I/O; each module documents what it accepts.
"""
