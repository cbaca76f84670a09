"""Meeting planning: the schedule rules (holidays, overrides), the agenda of a meeting and the iCalendar feed."""
