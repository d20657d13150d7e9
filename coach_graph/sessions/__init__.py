"""Coaching sessions: services, calendars, availability, booking, history, statuses, notes,
reschedule requests, reminders, statistics, analytics and exports."""
