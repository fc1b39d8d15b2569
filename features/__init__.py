"""learnmap features layer."""
