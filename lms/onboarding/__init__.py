"""Admin views of the CSV onboarding of agents (the logic is in :mod:`lms.services.onboarding`)."""
