"""learnmap models layer."""
