"""The learner's space (« Mon parcours »): an upper layer that reads lms core, courses and competences."""
