"""The learning loop: the prediction log, labels, review, training data and replay."""
