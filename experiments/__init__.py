"""learnmap experiments layer."""
