"""Meeting planning: the schedule rules (holidays, overrides) and the iCalendar feed."""
