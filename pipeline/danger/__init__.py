"""Danger detection on CCTV: people and left objects found by background subtraction (or a
user's ONNX person detector), measured on the floor through the camera's homography, tracked
with stable ids, and turned into alerts by one rule per kind of danger."""
