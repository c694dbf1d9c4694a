"""Attendance at providers: marks, many marks at once (batch), who is told (alerts), what the school reads."""
