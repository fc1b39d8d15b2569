"""learnmap api layer."""
