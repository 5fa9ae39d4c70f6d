"""Lessons: lesson files parsed and checked, and the goals each step checks."""
