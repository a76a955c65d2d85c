"""The trust model and the discipline built on it: pure, standard library only."""
